import { systemClock, VirtualClock, type Clock } from './clock';
import { MemoryStore } from './store';
import { Outbox } from './outbox';

/**
 * One isolated copy of the mock's state: its own clock, store and outbox. The server starts with a
 * single `default` session; callers that need isolation ask for their own by name.
 */
export class Session {
  readonly clock: VirtualClock;
  readonly store: MemoryStore;
  readonly outbox: Outbox;

  constructor(
    readonly name: string,
    baseClock: Clock = systemClock,
  ) {
    this.clock = new VirtualClock(baseClock);
    this.store = new MemoryStore(this.clock);
    this.outbox = new Outbox(this.clock);
  }

  /** Back to the fixtures: every API's state, or one API's. The clock is left alone. */
  reset(api?: string): void {
    if (api === undefined) this.store.clear();
    else this.store.scope(storePrefix(api)).clear();
    this.outbox.clear(api);
  }
}

export function storePrefix(api: string): string {
  return `${api}:`;
}

export class Sessions {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly baseClock: Clock = systemClock) {}

  get(name = 'default'): Session {
    let session = this.sessions.get(name);
    if (!session) {
      session = new Session(name, this.baseClock);
      this.sessions.set(name, session);
    }
    return session;
  }

  all(): Session[] {
    return [...this.sessions.values()];
  }
}
