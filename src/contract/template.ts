/**
 * `${name.path}` placeholders in flow files. A string that is one placeholder and nothing else
 * becomes the value itself (a number stays a number); otherwise values are written into the text.
 * Names are looked up in a scope: `accounts`, `fixture`, `run`, `check`, and what steps saved.
 */

export type Scope = Record<string, unknown>;

/** A placeholder whose value is not there: a missing account skips the check; anything else fails it. */
export class MissingValue extends Error {
  constructor(readonly path: string) {
    super(`\${${path}} has no value`);
    this.name = 'MissingValue';
  }
}

const WHOLE = /^\$\{([^}]+)\}$/;
const ANY = /\$\{([^}]+)\}/g;

export function interpolate(value: unknown, scope: Scope): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole) return lookup(scope, whole[1]!.trim());
    return value.replace(ANY, (_m, name: string) => {
      const found = lookup(scope, name.trim());
      return typeof found === 'string' ? found : JSON.stringify(found);
    });
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, scope));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, scope)]));
  }
  return value;
}

/** `interpolate` for places that need text (URLs, header values). */
export function interpolateText(value: unknown, scope: Scope): string {
  const out = interpolate(value, scope);
  return typeof out === 'string' ? out : JSON.stringify(out);
}

/** The value at a dotted path (`accounts.user.email`, `body.2faDetails.token`), or MissingValue. */
export function lookup(scope: Scope, path: string): unknown {
  const fn = /^(password|otp|signature):\s*(.+)$/.exec(path);
  const found = fn ? (scope.fn as Record<string, unknown> | undefined)?.[`${fn[1]}:${fn[2]!.trim()}`] : pick(scope, path);
  if (found === undefined) throw new MissingValue(path);
  return found;
}

/** The value at a path (`body.a.b`, `body.errors[0]`, `body["2fa"]`), or undefined. */
export function pick(root: unknown, path: string): unknown {
  let current: unknown = root;
  for (const key of segments(path)) {
    if (typeof current !== 'object' || current === null) return undefined;
    if (!Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** `body.a[0]["2fa"]` → body, a, 0, 2fa. */
function segments(path: string): string[] {
  const out: string[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g;
  for (const m of path.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}
