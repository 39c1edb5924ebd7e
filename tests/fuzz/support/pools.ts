/**
 * Live values a fuzz run learns as it goes (tokens from 2xx answers, fixture credentials), referred
 * to by generated requests through `Ref`s. fast-check generates a `Ref` (pool name, index, how to
 * mangle it), deterministically from the seed; the value it stands for is looked up when the
 * request is sent. So a seed reproduces the shape of every request, and valid credentials still
 * reach the behaviours behind the validation layer.
 */
export type Mangle = 'none' | 'truncate' | 'drop-signature' | 'flip-last' | 'upper' | 'append-space' | 'double';

export const MANGLES: Mangle[] = ['truncate', 'drop-signature', 'flip-last', 'upper', 'append-space', 'double'];

export class Ref {
  constructor(
    readonly pool: string,
    readonly index: number,
    readonly mangle: Mangle = 'none',
    /** Encode the (mangled) value: `base64` for HTTP Basic. */
    readonly encode: 'none' | 'base64' = 'none',
  ) {}

  toString(): string {
    return `<${this.pool}#${this.index}${this.mangle === 'none' ? '' : `:${this.mangle}`}${this.encode === 'none' ? '' : `:${this.encode}`}>`;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** How many values each pool keeps (the newest). */
const POOL_SIZE = 40;

export class Pools {
  private readonly pools = new Map<string, string[]>();

  constructor(seed: Record<string, string[]> = {}) {
    for (const [name, values] of Object.entries(seed)) this.pools.set(name, [...values]);
  }

  add(name: string, value: unknown): void {
    if (typeof value !== 'string' || value === '') return;
    const pool = this.pools.get(name) ?? [];
    pool.push(value);
    if (pool.length > POOL_SIZE) pool.splice(0, pool.length - POOL_SIZE);
    this.pools.set(name, pool);
  }

  /** The value a Ref stands for; a placeholder when its pool is still empty. */
  resolve(ref: Ref): string {
    const pool = this.pools.get(ref.pool) ?? [];
    const raw = pool.length === 0 ? `empty-${ref.pool}` : pool[ref.index % pool.length]!;
    const mangled = mangle(raw, ref.mangle);
    return ref.encode === 'base64' ? Buffer.from(mangled, 'utf8').toString('base64') : mangled;
  }

  /** Replaces every Ref inside a JSON-like value (own enumerable keys, `__proto__` ones included). */
  deepResolve(value: unknown): unknown {
    if (value instanceof Ref) return this.resolve(value);
    if (Array.isArray(value)) return value.map((v) => this.deepResolve(v));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        Object.defineProperty(out, key, {
          value: this.deepResolve((value as Record<string, unknown>)[key]),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    return value;
  }

  /** A header value given as parts: strings and Refs, joined. */
  join(parts: Array<string | Ref>): string {
    return parts.map((p) => (p instanceof Ref ? this.resolve(p) : p)).join('');
  }
}

function mangle(value: string, how: Mangle): string {
  switch (how) {
    case 'none':
      return value;
    case 'truncate':
      return value.slice(0, Math.max(1, Math.floor(value.length / 2)));
    case 'drop-signature': {
      // A JWT without its signature (`header.payload.`), or a UUID cut at its last dash.
      const dot = value.lastIndexOf('.');
      const cut = dot > 0 ? dot + 1 : value.lastIndexOf('-');
      return cut > 0 ? value.slice(0, cut) : value;
    }
    case 'flip-last': {
      const last = value.at(-1) ?? 'a';
      return value.slice(0, -1) + (last === 'A' ? 'B' : 'A');
    }
    case 'upper':
      return value.toUpperCase();
    case 'append-space':
      return `${value} `;
    case 'double':
      return `${value}${value}`;
  }
}
