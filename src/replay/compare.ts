/**
 * Compares a live response with the recorded one, ignoring what naturally differs between two runs
 * of the same session (tokens, keys, ids, trace ids, timestamps, codes: see fields.ts) but not
 * their type or shape, and names each field that differs.
 */
import { isVaryingField, shapeOf } from './fields';
import { joinPath, parseJson } from './json-walk';

export interface ComparedResponse {
  status: number;
  /** Media type without parameters, lower case ('' for none). */
  mediaType: string;
  /** The body as text; undefined when the recording did not keep it. */
  text?: string;
}

export interface Difference {
  /** `status`, `content-type`, `body`, `body.data.expirationTime`, `set-cookie`. */
  path: string;
  recorded: string;
  live: string;
}

export function compareResponses(recorded: ComparedResponse, live: ComparedResponse): Difference[] {
  if (recorded.status !== live.status) return [{ path: 'status', recorded: String(recorded.status), live: String(live.status) }];
  if (recorded.text === undefined || (recorded.text === '' && (recorded.mediaType === '' || live.text === ''))) return [];
  if (recorded.mediaType !== live.mediaType && recorded.mediaType !== '') {
    return [{ path: 'content-type', recorded: recorded.mediaType, live: live.mediaType || '(none)' }];
  }
  const rec = recorded.mediaType.includes('json') ? parseJson(recorded.text) : { ok: false as const };
  const now = live.mediaType.includes('json') ? parseJson(live.text ?? '') : { ok: false as const };
  if (rec.ok && now.ok) return compareValues(rec.value, now.value, 'body', undefined);
  return compareValues(recorded.text, live.text ?? '', 'body', undefined);
}

/**
 * Compares a live WebSocket frame with the recorded one by the same rules (JSON field by field,
 * naturally varying values by shape only; text as text). Paths start at `frame`.
 */
export function compareMessages(recorded: string, live: string): Difference[] {
  const rec = parseJson(recorded);
  const now = parseJson(live);
  if (rec.ok && now.ok) return compareValues(rec.value, now.value, 'frame', undefined);
  return compareValues(recorded, live, 'frame', undefined);
}

function describe(value: unknown): string {
  if (value === undefined) return '(missing)';
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function compareValues(recorded: unknown, live: unknown, path: string, key: string | undefined): Difference[] {
  if (typeOf(recorded) !== typeOf(live)) return [{ path, recorded: describe(recorded), live: describe(live) }];
  if (Array.isArray(recorded) && Array.isArray(live)) {
    if (recorded.length !== live.length) {
      return [{ path, recorded: `${recorded.length} items ${describe(recorded)}`, live: `${live.length} items ${describe(live)}` }];
    }
    return recorded.flatMap((item, i) => compareValues(item, live[i], `${path}[${i}]`, key));
  }
  if (recorded !== null && typeof recorded === 'object') {
    const r = recorded as Record<string, unknown>;
    const l = live as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(r), ...Object.keys(l)])];
    return keys.flatMap((k) => compareValues(r[k], l[k], joinPath(path, k), k));
  }
  if (recorded === live) return [];
  if (isVaryingField(key, recorded)) {
    // Allowed to differ, but not to change shape: a JWT stays a JWT, a date stays a date.
    const was = typeof recorded === 'string' ? shapeOf(recorded) : undefined;
    if (was === undefined || was === 'marker' || typeof live !== 'string' || shapeOf(live) === was) return [];
    return [{ path, recorded: `a ${was} (${describe(recorded)})`, live: describe(live) }];
  }
  return [{ path, recorded: describe(recorded), live: describe(live) }];
}
