import { systemClock, VirtualClock, type Clock } from './clock';
import { Faults } from './faults';
import { Journal } from './journal';
import { DEFAULT_STORE_BOUNDS, EntryCount, type StoreBounds } from './bounds';
import { MemoryStore } from './store';
import { Outbox } from './outbox';
import { resetState, type SessionState, type StateBackend } from './backend';

/**
 * One isolated copy of the mock's state: its own clock, store, outbox, journal and faults. The
 * server starts with a `default` session; a request naming another (X-Authdouble-Session) gets its
 * own, created on first use and seeded from the fixtures (the fixtures are read-only, so an empty
 * store is exactly "as the fixtures say").
 */
export class Session implements SessionState {
  readonly clock: VirtualClock;
  readonly store: MemoryStore;
  readonly outbox: Outbox;
  readonly faults: Faults;

  constructor(
    readonly name: string,
    baseClock: Clock = systemClock,
    /** Shared by all sessions (one bound for all); this session's entries are tagged with its name. */
    readonly journal: Journal = new Journal(),
    /** Called after any change to what --state-file keeps: the store, the outbox, the clock. */
    onChange: () => void = () => undefined,
    /** Called after a change to the faults (which --state-file does not keep). */
    onFaultsChange: () => void = () => undefined,
    /** Entries of all sessions together, with the bounds (see ./bounds). */
    count: EntryCount = new EntryCount(),
  ) {
    this.faults = new Faults(onFaultsChange);
    this.clock = new VirtualClock(baseClock, onChange);
    this.store = new MemoryStore(this.clock, onChange, count);
    this.outbox = new Outbox(this.clock, onChange);
  }

  /** Back to the fixtures (see resetState); with no API, this session's journal entries go too. */
  reset(api?: string): void {
    resetState(this, api);
    if (api === undefined) this.journal.clear(this.name);
  }
}

export { storePrefix } from './backend';

/** At most this many named sessions live at once; the least recently used one goes first. */
export const MAX_SESSIONS = 1000;

/** The memory backend: every session in this process (the default store). */
export class Sessions implements StateBackend {
  readonly kind = 'memory';
  private readonly sessions = new Map<string, Session>();
  /** One journal for every session, so its size bound holds for the whole server. */
  readonly journal = new Journal();
  private changeCount = 0;
  private readonly listeners = new Set<(session: string) => void>();
  private readonly onChange = (session: string): void => {
    this.changeCount++;
    this.notify(session);
  };
  private readonly notify = (session: string): void => {
    for (const listener of this.listeners) listener(session);
  };

  /** Entries of all sessions together; past the overall bound, the least recently used session goes. */
  readonly count: EntryCount;

  constructor(
    private readonly baseClock: Clock = systemClock,
    bounds: StoreBounds = DEFAULT_STORE_BOUNDS,
  ) {
    this.count = new EntryCount(bounds, () => this.shrink());
  }

  /**
   * Back under the overall bound: drops the least recently used named session (never `default`,
   * never the one in use last); with none to drop, the least recently used entries of the first.
   */
  private shrink(): void {
    const names = [...this.sessions.keys()];
    const latest = names[names.length - 1];
    for (const name of names) {
      if (this.count.total <= this.count.bounds.overall) return;
      if (name === 'default' || name === latest) continue;
      this.drop(name);
    }
    const first = this.sessions.get(names[0] ?? 'default');
    while (this.count.total > this.count.bounds.overall && first?.store.evictOne());
  }

  private drop(name: string): void {
    const session = this.sessions.get(name);
    if (!session) return;
    this.sessions.delete(name);
    this.journal.clear(name);
    session.store.clear();
    this.onChange(name);
  }

  /** Grows with every change to any session's store, outbox or clock, and with sessions made or dropped. */
  get changes(): number {
    return this.changeCount;
  }

  /**
   * Calls `listener` with a session's name after any change to its store, outbox, clock or faults,
   * and when it is made; returns the function that stops it. (The console's live view listens here.)
   */
  subscribe(listener: (session: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The session of this name if it exists; never creates one, never marks it as used. */
  find(name = 'default'): Session | undefined {
    return this.sessions.get(name);
  }

  get(name = 'default'): Session {
    let session = this.sessions.get(name);
    if (session) {
      // Map order is insertion order: re-inserting marks the session as recently used.
      if (name !== 'default') {
        this.sessions.delete(name);
        this.sessions.set(name, session);
      }
      return session;
    }
    session = new Session(name, this.baseClock, this.journal, () => this.onChange(name), () => this.notify(name), this.count);
    this.sessions.set(name, session);
    this.onChange(name);
    if (this.sessions.size > MAX_SESSIONS) {
      for (const oldest of this.sessions.keys()) {
        if (oldest !== 'default') {
          this.drop(oldest);
          break;
        }
      }
    }
    return session;
  }

  all(): Session[] {
    return [...this.sessions.values()];
  }

  /** Each step is synchronous code on this process's state: atomic as it is, run once. */
  async run<R>(name: string | undefined, fn: (state: SessionState) => R | Promise<R>): Promise<R> {
    return fn(this.get(name));
  }

  async sessionNames(): Promise<string[]> {
    return ['default', ...this.all().map((s) => s.name).filter((name) => name !== 'default')];
  }

  async resetApiEverywhere(api: string): Promise<boolean> {
    // This process's own state: no other process resets it.
    for (const session of this.all()) session.reset(api);
    return true;
  }

  async close(): Promise<void> {}
}
