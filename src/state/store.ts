import { EntryCount, kindOf } from './bounds';
import type { Clock } from './clock';

/**
 * The state behind the behaviours: a key/value store with per-entry time-to-live, read against an
 * injected clock. Operations are synchronous and each is atomic, so a behaviour that checks and
 * consumes a token with `take()` before it awaits anything cannot be raced by another request.
 */
export interface Store {
  get<T>(key: string): T | undefined;
  /**
   * `get` of each key, in order, without marking them as used for the bounds: a store that fetches
   * keys (Redis) fetches them all at once.
   */
  getMany<T>(keys: string[]): Array<T | undefined>;
  /** Stores `value`; with `ttlMs` the entry disappears that long after now (clock time). */
  set<T>(key: string, value: T, ttlMs?: number): void;
  /** Removes the entry and returns what it held, in one step. */
  take<T>(key: string): T | undefined;
  delete(key: string): boolean;
  /** Entries whose key starts with `prefix`, expired ones left out. */
  entries<T>(prefix: string): Array<[string, T]>;
  /** A view of this store whose keys all live under `prefix`. */
  scope(prefix: string): Store;
  /** Drops every entry of this store (or of this scope). */
  clear(): void;
  /**
   * Forgets every expired entry of the whole store (a scope sweeps its parent). With `records`,
   * also every entry whose value is a record with an `expiresAt` of its own that has passed (a token
   * kept a while after it expires, to be reported as expired): what a move of the clock back does.
   */
  sweep(records?: boolean): void;
}

interface Entry {
  value: unknown;
  /** Epoch milliseconds; Infinity when the entry never expires. */
  expiresAt: number;
}

/** One live entry as `dump()` gives it and `load()` takes it back (for --state-file). */
export interface StoredEntry {
  key: string;
  value: unknown;
  /** Epoch milliseconds; Infinity when the entry never expires. */
  expiresAt: number;
}

/** Entries are swept for expiry every this many writes, so memory stays bounded without timers. */
const SWEEP_EVERY = 1024;

export class MemoryStore implements Store {
  /** In order of last use (read or write): the first entry is the least recently used. */
  private readonly map = new Map<string, Entry>();
  /** Keys of each kind, in order of last use too. */
  private readonly kinds = new Map<string, Set<string>>();
  private writes = 0;
  /** Entries dropped to keep the bounds, since start. */
  evicted = 0;

  /**
   * @param onChange called after every write, so that a persister knows the state is dirty.
   * @param count the count of entries of all sessions together, which carries the bounds.
   */
  constructor(
    private readonly clock: Clock,
    private readonly onChange: () => void = () => undefined,
    readonly count: EntryCount = new EntryCount(),
  ) {}

  get<T>(key: string): T | undefined {
    const entry = this.live(key, this.clock.now());
    if (!entry) return undefined;
    this.touch(key, entry);
    return entry.value as T;
  }

  /**
   * Reads without marking the entries as used: reading all of a user's sessions to pick one to end
   * is no use of them. (Marking them moved each in the least-recently-used order: 100 moves per
   * sign-in at the per-user cap, most of an 85 ms busy stretch of the soak's 250-way sign-ins.)
   */
  getMany<T>(keys: string[]): Array<T | undefined> {
    const now = this.clock.now();
    return keys.map((key) => this.live(key, now)?.value as T | undefined);
  }

  /** The entry of `key` unless it has expired by `now` (then it goes), without marking it as used. */
  private live(key: string, now: number): Entry | undefined {
    const entry = this.map.get(key);
    if (entry !== undefined && entry.expiresAt <= now) {
      this.remove(key);
      return undefined;
    }
    return entry;
  }

  set<T>(key: string, value: T, ttlMs?: number): void {
    const expiresAt = ttlMs === undefined ? Infinity : this.clock.now() + ttlMs;
    this.put(key, { value, expiresAt });
    this.onChange();
    if (++this.writes % SWEEP_EVERY === 0) this.sweep();
  }

  take<T>(key: string): T | undefined {
    const value = this.get<T>(key);
    if (this.remove(key)) this.onChange();
    return value;
  }

  delete(key: string): boolean {
    const deleted = this.remove(key);
    if (deleted) this.onChange();
    return deleted;
  }

  entries<T>(prefix: string): Array<[string, T]> {
    const now = this.clock.now();
    const out: Array<[string, T]> = [];
    if (isWholeKind(prefix)) {
      // Every key under a whole kind (`vault:family:`) is of that kind: its keys only are read, not
      // every entry of the store (a listing of tokens reads two kinds of each API).
      for (const key of this.kinds.get(prefix) ?? []) {
        const entry = this.map.get(key)!;
        if (entry.expiresAt > now) out.push([key, entry.value as T]);
      }
      return out;
    }
    for (const [key, entry] of this.map) {
      if (key.startsWith(prefix) && entry.expiresAt > now) out.push([key, entry.value as T]);
    }
    return out;
  }

  scope(prefix: string): Store {
    return new ScopedStore(this, prefix);
  }

  clear(): void {
    this.count.add(-this.map.size);
    this.map.clear();
    this.kinds.clear();
    this.onChange();
  }

  /** Every live entry, with its absolute expiry. */
  dump(): StoredEntry[] {
    const now = this.clock.now();
    const out: StoredEntry[] = [];
    for (const [key, entry] of this.map) if (entry.expiresAt > now) out.push({ key, value: entry.value, expiresAt: entry.expiresAt });
    return out;
  }

  /**
   * Adds entries as `dump()` gave them, keeping their absolute expiry (expired ones are skipped),
   * within the bounds. Returns how many live entries the bounds left out.
   */
  load(entries: StoredEntry[]): number {
    const now = this.clock.now();
    const before = this.evicted;
    for (const { key, value, expiresAt } of entries) if (expiresAt > now) this.put(key, { value, expiresAt });
    this.onChange();
    return this.evicted - before;
  }

  /**
   * Live entries in batches of `size`, read lazily: between two batches the store may change (an
   * entry used meanwhile may come twice; the later copy wins at load). For saving without stalling.
   */
  *batches(size: number): Generator<StoredEntry[]> {
    let batch: StoredEntry[] = [];
    for (const [key, entry] of this.map) {
      if (entry.expiresAt > this.clock.now()) batch.push({ key, value: entry.value, expiresAt: entry.expiresAt });
      if (batch.length >= size) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }

  sweep(records = false): void {
    const now = this.clock.now();
    for (const [key, entry] of this.map) if (entry.expiresAt <= now || (records && ownExpiryPassed(entry.value, now))) this.remove(key);
  }

  /** Drops the least recently used entry (for the overall bound). False when empty. */
  evictOne(): boolean {
    const oldest = this.map.keys().next();
    if (oldest.done) return false;
    this.evictFirst(oldest.value);
    return true;
  }

  get size(): number {
    return this.map.size;
  }

  private put(key: string, entry: Entry): void {
    const existed = this.map.delete(key);
    this.map.set(key, entry);
    const kind = kindOf(key);
    let keys = this.kinds.get(kind);
    if (!keys) this.kinds.set(kind, (keys = new Set()));
    keys.delete(key);
    keys.add(key);
    if (existed) return;
    const { bounds } = this.count;
    if (keys.size > bounds.perKind) this.evictFirst(keys.values().next().value!);
    else if (this.map.size > bounds.perSession) this.evictFirst(this.map.keys().next().value!);
    this.count.add(1);
  }

  /** Drops `key` for a bound, and the records linked to it (a user and its e-mail index go together). */
  private evictFirst(key: string): void {
    // The whole group: an index's user, then that user's other indexes.
    const group = new Set([key]);
    for (const k of group) for (const other of this.count.linkedTo(k, this.map.get(k)?.value)) group.add(other);
    for (const k of group) if (this.remove(k)) this.evicted++;
  }

  /** `key` is used: it, and the records linked to it, become the most recently used. */
  private touch(key: string, entry: Entry): void {
    // On every read of the hot path: the key's kind is worked out once, for both uses.
    const kind = kindOf(key);
    this.moveToEnd(key, entry, kind);
    for (const k of this.count.linkedTo(key, entry.value, kind)) {
      const other = this.map.get(k);
      if (other) this.moveToEnd(k, other);
    }
  }

  private moveToEnd(key: string, entry: Entry, kind = kindOf(key)): void {
    this.map.delete(key);
    this.map.set(key, entry);
    const keys = this.kinds.get(kind);
    if (keys) {
      keys.delete(key);
      keys.add(key);
    }
  }

  private remove(key: string): boolean {
    if (!this.map.delete(key)) return false;
    const kind = kindOf(key);
    const keys = this.kinds.get(kind);
    keys?.delete(key);
    if (keys?.size === 0) this.kinds.delete(kind);
    this.count.add(-1);
    return true;
  }
}

/** Whether `prefix` names one kind (`khe:user:`: two colons, the second at its end; see kindOf). */
function isWholeKind(prefix: string): boolean {
  const first = prefix.indexOf(':');
  return first !== -1 && first < prefix.length - 1 && prefix.indexOf(':', first + 1) === prefix.length - 1;
}

/** A view of `parent` whose keys all live under `prefix`. */
export class ScopedStore implements Store {
  constructor(
    private readonly parent: Store,
    private readonly prefix: string,
  ) {}

  get<T>(key: string): T | undefined {
    return this.parent.get<T>(this.prefix + key);
  }
  getMany<T>(keys: string[]): Array<T | undefined> {
    return this.parent.getMany<T>(keys.map((key) => this.prefix + key));
  }
  set<T>(key: string, value: T, ttlMs?: number): void {
    this.parent.set(this.prefix + key, value, ttlMs);
  }
  take<T>(key: string): T | undefined {
    return this.parent.take<T>(this.prefix + key);
  }
  delete(key: string): boolean {
    return this.parent.delete(this.prefix + key);
  }
  entries<T>(prefix: string): Array<[string, T]> {
    return this.parent
      .entries<T>(this.prefix + prefix)
      .map(([key, value]): [string, T] => [key.slice(this.prefix.length), value]);
  }
  scope(prefix: string): Store {
    return new ScopedStore(this.parent, this.prefix + prefix);
  }
  clear(): void {
    for (const [key] of this.entries('')) this.delete(key);
  }
  sweep(records?: boolean): void {
    this.parent.sweep(records);
  }
}

/** Whether `value` is a record whose own `expiresAt` (epoch ms) is at or before `now`. */
export function ownExpiryPassed(value: unknown, now: number): boolean {
  const expiresAt = (value as { expiresAt?: unknown } | null)?.expiresAt;
  return typeof expiresAt === 'number' && expiresAt <= now;
}
