import { MockError } from '../errors';
import type { VirtualClock } from './clock';
import type { Faults } from './faults';
import type { Exchange, JournalEntry, JournalFilter } from './journal';
import type { Outbox } from './outbox';
import type { Store } from './store';

/**
 * One state session as a behaviour sees it during one atomic step: its store (all APIs, keys
 * `<api>:<kind>:...`), its virtual clock, its outbox and its faults. Every operation on it is
 * synchronous; the backend makes the step atomic (see StateBackend.run).
 */
export interface SessionState {
  readonly name: string;
  readonly store: Store;
  readonly clock: VirtualClock;
  readonly outbox: Outbox;
  readonly faults: Faults;
}

/** The journal of requests, shared by every session of a backend. */
export interface RequestJournal {
  /** Keeps `entry` (cut to the journal's bounds); never waits and never throws. */
  record(entry: Omit<JournalEntry, 'id'>): void;
  /** Keeps an exchange the engine answered (see Exchange: it may be kept unrendered until read). */
  recordExchange(exchange: Exchange): void;
  /** Entries, oldest first. */
  list(filter?: JournalFilter): JournalEntry[] | Promise<JournalEntry[]>;
  /** Drops the entries of one session, or all. */
  clear(session?: string): void | Promise<void>;
  /** Calls `listener` with every entry this process records; returns the function that stops it. */
  subscribe(listener: (entry: JournalEntry) => void): () => void;
}

/**
 * Where the mock's state lives: in this process (`memory`, the default) or in Redis, shared by every
 * instance pointed at it. Behaviour code is the same for both: it runs in `run`.
 */
export interface StateBackend {
  readonly kind: 'memory' | 'redis';
  readonly journal: RequestJournal;
  /**
   * Runs `fn` on the state of session `name` (`default` when undefined) as one atomic step, and
   * returns what it returns (or throws what it throws, after keeping its writes).
   *
   * `fn` may run more than once (the Redis backend reads keys as `fn` asks for them, then commits
   * only if nothing it read has changed meanwhile, else runs it again), so it must change nothing
   * but `state`, and must not catch errors it did not throw (see isRetry).
   */
  run<R>(name: string | undefined, fn: (state: SessionState) => R | Promise<R>): Promise<R>;
  /** Names of the sessions that hold state, `default` first. */
  sessionNames(): Promise<string[]>;
  /**
   * Back to the fixtures, for one API, in every session (`--watch` after a reload). With `version`
   * (what the reload read: its files' sizes and times), a store shared by several processes resets
   * once per version: each process that watches the files reloads, and only the first resets, so
   * state made after that reset is not wiped by the others'. False when it was already done.
   */
  resetApiEverywhere(api: string, version?: string): Promise<boolean>;
  /**
   * Calls `listener` with a session's name after a change to its state made through this process,
   * and when it is made; returns the function that stops it. (The console's live view.)
   */
  subscribe(listener: (session: string) => void): () => void;
  close(): Promise<void>;
}

/**
 * Back to the fixtures. For one API: its state and messages. For all: every API's state, the outbox,
 * the faults, and the clock back to real time. (The journal is the caller's: it is not per session.)
 */
export function resetState(state: SessionState, api?: string): void {
  if (api !== undefined) {
    state.store.scope(storePrefix(api)).clear();
    state.outbox.clear(api);
    return;
  }
  state.store.clear();
  state.outbox.clear();
  state.faults.clear();
  state.clock.reset();
}

export function storePrefix(api: string): string {
  return `${api}:`;
}

/** The state is out of reach (Redis is away): requests get the API's own error with status 503. */
export class StoreUnavailable extends MockError {
  constructor(why: string) {
    super('store_unavailable', 503, `The mock's state store is unavailable: ${why}`, { expose: true, headers: { 'retry-after': '1' } });
  }
}

/**
 * Thrown inside `run` by a backend that must fetch something before `fn` can go on (and by nothing
 * else). Code inside `fn` that catches errors must let these through.
 */
export class RetryStep extends Error {
  constructor(readonly why: string) {
    super(`state step must be retried: ${why}`);
  }
}

export function isRetry(err: unknown): err is RetryStep {
  return err instanceof RetryStep;
}
