import { EngineCodes, MockError } from '../errors';

/** `application/json; charset=utf-8` → `application/json`; '' when absent. */
export function mediaTypeOf(contentType: string | undefined): string {
  if (!contentType) return '';
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

export function isJsonMediaType(mediaType: string): boolean {
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

/** Parses a raw body by media type: JSON, URL-encoded form, or text. */
export function parseBody(raw: Buffer, mediaType: string): unknown {
  const text = raw.toString('utf8');
  if (isJsonMediaType(mediaType)) {
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new MockError(EngineCodes.invalidJson, 400, `The body is not valid JSON: ${jsonProblem(err as Error)}`);
    }
  }
  if (mediaType === 'application/x-www-form-urlencoded') {
    // Object.fromEntries defines own properties, so a `__proto__` field stays a plain field.
    return Object.fromEntries(new URLSearchParams(text));
  }
  return text;
}

/**
 * What the JSON parser found wrong, without the piece of the body it quotes (V8 writes
 * `Unexpected token 's', "secret..." is not valid JSON`): the body may hold a password.
 */
function jsonProblem(err: Error): string {
  const quoted = err.message.search(/,\s*(?:\.\.\.)?"/);
  return (quoted === -1 ? err.message : err.message.slice(0, quoted)).slice(0, 200);
}

/** The Cookie header as a map; malformed pairs are skipped, never fatal. */
export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = Object.create(null) as Record<string, string>;
  if (!header) return cookies;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      value = decodeURIComponent(value);
    } catch {
      // keep the raw value
    }
    if (name && !(name in cookies)) cookies[name] = value;
  }
  return cookies;
}
