/**
 * How much state one server keeps, whatever its clients do. Every record a behaviour keeps is an
 * entry of a session's store, under a key `<api>:<kind>:...` (`khe:user:...`, `sama:device:...`,
 * `vault:token:...`); the bounds hold per kind, per state session, and for all sessions together.
 * Past a bound, the least recently used entry goes first (read or written longest ago), so what
 * clients still use (a signed-in user, a live token being checked) stays; see docs/hardening.md.
 */
export interface StoreBounds {
  /** Entries of one kind (`khe:user:`) in one state session. */
  perKind: number;
  /** Entries of one state session, all kinds together. */
  perSession: number;
  /** Entries of every state session together; past it, the least recently used named session goes. */
  overall: number;
}

export const DEFAULT_STORE_BOUNDS: StoreBounds = { perKind: 10_000, perSession: 25_000, overall: 100_000 };

/** The kind of a key: `khe:user:a@b.c` → `khe:user:`; a key with one colon or none is its own kind prefix. */
export function kindOf(key: string): string {
  const first = key.indexOf(':');
  if (first === -1) return '';
  const second = key.indexOf(':', first + 1);
  return second === -1 ? key.slice(0, first + 1) : key.slice(0, second + 1);
}

/**
 * The records that make one thing with a record of a kind (a user and the index of its e-mail): the
 * bounds keep or drop them together. Given the record's value, the keys of the others, in the same
 * scope (an API's records: without the API's prefix).
 */
export type LinkedRecords = Record<string, (value: never) => string[]>;

const NO_KEYS: readonly string[] = [];

/** Entries of all sessions together, kept up to date by each store; and the records linked by kind. */
export class EntryCount {
  total = 0;
  /** By full kind (`khe:user:`): the full keys of the records linked to one of that kind. */
  private readonly links = new Map<string, (value: unknown) => string[]>();

  constructor(
    readonly bounds: StoreBounds = DEFAULT_STORE_BOUNDS,
    /** Called when `total` passes `bounds.overall`. */
    public onOverflow: () => void = () => undefined,
  ) {}

  /** Links the records of `kinds` (relative to `prefix`, an API's scope) to others (see LinkedRecords). */
  link(prefix: string, kinds: LinkedRecords): void {
    for (const [kind, others] of Object.entries(kinds)) {
      this.links.set(prefix + kind, (value) => others(value as never).map((key) => prefix + key));
    }
  }

  /** The full keys of the records linked to `key` (none for most kinds). */
  linkedTo(key: string, value: unknown, kind = kindOf(key)): readonly string[] {
    return this.links.get(kind)?.(value) ?? NO_KEYS;
  }

  add(n: number): void {
    this.total += n;
    if (n > 0 && this.total > this.bounds.overall) this.onOverflow();
  }
}
