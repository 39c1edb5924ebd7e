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

/** Entries of all sessions together, kept up to date by each store. */
export class EntryCount {
  total = 0;
  constructor(
    readonly bounds: StoreBounds = DEFAULT_STORE_BOUNDS,
    /** Called when `total` passes `bounds.overall`. */
    public onOverflow: () => void = () => undefined,
  ) {}

  add(n: number): void {
    this.total += n;
    if (n > 0 && this.total > this.bounds.overall) this.onOverflow();
  }
}
