import { randomUUID } from 'node:crypto';
import { createClient, ErrorReply } from '@redis/client';
import { StartupError } from '../errors';
import type { Logger } from '../logger';
import { isRetry, resetState, RetryStep, StoreUnavailable, type RequestJournal, type SessionState, type StateBackend } from './backend';
import { systemClock, VirtualClock, type Clock } from './clock';
import { Faults } from './faults';
import { bounded, JOURNAL_CAPACITY, matches, renderExchange, type Exchange, type JournalEntry, type JournalFilter } from './journal';
import { Outbox } from './outbox';
import { ownExpiryPassed, ScopedStore, type Store } from './store';
import { MAX_SESSIONS } from './sessions';
import { kindOf } from './bounds';
import { checkKeys, type KeyKeeper, type StoredKey } from '../apis/shared/keys';

/**
 * The Redis backend: every instance pointed at one Redis is one mock. Layout (design: docs/state-store.md):
 * - `authdouble:{<session>}:<api>:<kind>:...` one store entry, JSON `{"v": value, "e": expiresAt}`;
 *   `~clock`, `~faults` and `~outbox` in the same session hold its clock, faults and messages. All
 *   keys of a session share the hash tag `{<session>}`, so a step's script works on Redis Cluster too;
 * - `authdouble:sessions` the sessions in use (a sorted set by last use), `authdouble:keys` the
 *   signing keys, `authdouble:journal` the latest requests.
 *
 * A step (StateBackend.run) reads the keys its code asks for, fetching each on first use and running
 * the code again, then commits its writes with one script that first checks that nothing it read has
 * changed meanwhile (optimistic concurrency). On a conflict the step runs again on fresh values. So
 * check-and-consume, counters and "issue only if the session lives" are atomic across instances,
 * and the behaviour code is the very code the memory store runs.
 */
export const REDIS_PREFIX = 'authdouble:';

/** How long a command may take before the request gets a 503. */
const COMMAND_TIMEOUT_MS = 2000;
/** A step that keeps losing races gives up (503) after this many runs. */
const MAX_RUNS = 200;
/**
 * Redis drops an entry this long after it expires by the session's clock when that clock was
 * moved, pinned or set (at once on the real clock): a clock moved back by less than this brings
 * back nothing early.
 */
const VIRTUAL_CLOCK_GRACE_MS = 24 * 60 * 60 * 1000;
/** The longest a step waits for its turn behind its session's earlier losers. */
const QUEUE_WAIT_MS = 2000;
/** A step that lost this many races takes its session's lock (see SessionLock). */
const LOCK_AFTER_LOSSES = 3;
/** The lock lapses this long after it was taken or renewed, should its holder die. */
const LOCK_MS = 2000;
/** A session's last use is written at most this often by one process. */
const TOUCH_EVERY_MS = 10_000;

const ABSENT = '';


// Commits a step: checks every key read still holds what was read, then writes. KEYS: read keys,
// then written keys. ARGV: the count of read keys, what each held ('' when absent), then per written
// key: 's' or 'd', the value, the time-to-live in ms ('' for none).
const COMMIT = `
local n = tonumber(ARGV[1])
for i = 1, n do
  local cur = redis.call('GET', KEYS[i])
  if cur == false then cur = '' end
  if cur ~= ARGV[i + 1] then return 0 end
end
local a = n + 2
for j = n + 1, #KEYS do
  if ARGV[a] == 'd' then redis.call('DEL', KEYS[j])
  elseif ARGV[a + 2] == '' then redis.call('SET', KEYS[j], ARGV[a + 1])
  else redis.call('SET', KEYS[j], ARGV[a + 1], 'PX', ARGV[a + 2]) end
  a = a + 3
end
return 1`;

// Takes (or renews) a session's lock for ARGV[1], unless another holds it.
const LOCK = `
local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;

// Gives the lock back, if ARGV[1] still holds it.
const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0`;

// Records a journal entry: its id from a counter, the newest first, the list cut to its capacity.
const JOURNAL_PUSH = `
local id = redis.call('INCR', KEYS[2])
redis.call('LPUSH', KEYS[1], '{"id":' .. id .. ',' .. string.sub(ARGV[1], 2))
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
return id`;

// Forgets one session's journal entries in one step (the others keep their order): KEYS[1] the
// journal, ARGV[1] the session. Returns how many went.
const JOURNAL_CLEAR_SESSION = `
local items = redis.call('LRANGE', KEYS[1], 0, -1)
local kept = {}
for _, text in ipairs(items) do
  local ok, entry = pcall(cjson.decode, text)
  if not (ok and type(entry) == 'table' and entry.session == ARGV[1]) then kept[#kept + 1] = text end
end
if #kept == #items then return 0 end
redis.call('DEL', KEYS[1])
for i = 1, #kept, 500 do redis.call('RPUSH', KEYS[1], unpack(kept, i, math.min(i + 499, #kept))) end
return #items - #kept`;

type Client = ReturnType<typeof createClient>;

interface Write {
  raw: string;
  px?: number;
}

/**
 * The keys a step has read (as they were), the prefixes it has listed, and what it writes.
 *
 * A key read for the first time is fetched (the step stops and runs again with it), except that a
 * key of a kind (`khe:session:`) whose fetched keys were all absent is taken as absent at once, to
 * be checked at commit: a step that makes a random id and looks it up (a new ObjectId, say) would
 * otherwise look up a new one at every run.
 */
class Tx {
  readonly snapshot = new Map<string, string | null>();
  readonly scanned = new Map<string, string[]>();
  writes = new Map<string, Write | null>();
  readonly missingKeys = new Set<string>();
  readonly missingScans = new Set<string>();
  /** Kinds of which every key fetched was absent. */
  private readonly absentKinds = new Set<string>();
  /** Kinds of which a fetched key was present. */
  private readonly presentKinds = new Set<string>();
  /** Keys taken as absent without fetching: the commit must check them even with nothing to write. */
  guessed = false;

  constructor(private readonly base: string) {}

  read(key: string): string | null {
    const written = this.writes.get(key);
    if (written !== undefined) return written === null ? null : written.raw;
    const seen = this.snapshot.get(key);
    if (seen !== undefined) return seen;
    if (this.absentKinds.has(this.kind(key))) {
      this.snapshot.set(key, null);
      this.guessed = true;
      return null;
    }
    this.missingKeys.add(key);
    throw new RetryStep(`read ${key}`);
  }

  /** Notes what a fetch found for `key`. */
  fetched(key: string, value: string | null): void {
    this.snapshot.set(key, value);
    const kind = this.kind(key);
    if (value !== null) {
      this.presentKinds.add(kind);
      this.absentKinds.delete(kind);
    } else if (!this.presentKinds.has(kind)) this.absentKinds.add(kind);
  }

  private kind(key: string): string {
    return key.startsWith(this.base) ? kindOf(key.slice(this.base.length)) : key;
  }

  /** Keys under `prefix`, as listed, plus those written since, less those deleted. */
  keys(prefix: string): string[] {
    const listed = this.scanned.get(prefix);
    if (!listed) {
      this.missingScans.add(prefix);
      throw new RetryStep(`list ${prefix}`);
    }
    const out = new Set(listed);
    for (const [key, write] of this.writes) {
      if (!key.startsWith(prefix)) continue;
      if (write === null) out.delete(key);
      else out.add(key);
    }
    return [...out];
  }

  write(key: string, write: Write | null): void {
    this.writes.set(key, write);
  }
}

interface Stored {
  v: unknown;
  e?: number;
}

/** A session's store inside one step: reads come from the step's snapshot, writes are kept for its commit. */
class TxStore implements Store {
  constructor(
    private readonly tx: Tx,
    private readonly base: string,
    private readonly clock: VirtualClock,
  ) {}

  private live(raw: string | null): Stored | undefined {
    if (raw === null) return undefined;
    const stored = JSON.parse(raw) as Stored;
    return stored.e !== undefined && stored.e <= this.clock.now() ? undefined : stored;
  }

  get<T>(key: string): T | undefined {
    return this.live(this.tx.read(this.base + key))?.v as T | undefined;
  }

  getMany<T>(keys: string[]): Array<T | undefined> {
    let missing: RetryStep | undefined;
    const values = keys.map((key) => {
      try {
        return this.get<T>(key);
      } catch (err) {
        if (!isRetry(err)) throw err;
        missing = err; // every missing key is noted: one fetch brings them all
        return undefined;
      }
    });
    if (missing) throw missing;
    return values;
  }

  set<T>(key: string, value: T, ttlMs?: number): void {
    const e = ttlMs === undefined ? undefined : this.clock.now() + ttlMs;
    const px = ttlMs === undefined ? undefined : Math.max(1, Math.ceil(ttlMs + (this.clock.isVirtual ? VIRTUAL_CLOCK_GRACE_MS : 1000)));
    this.tx.write(this.base + key, { raw: JSON.stringify(e === undefined ? { v: value } : { v: value, e }), px });
  }

  take<T>(key: string): T | undefined {
    const value = this.get<T>(key);
    if (value !== undefined) this.tx.write(this.base + key, null);
    return value;
  }

  delete(key: string): boolean {
    const existed = this.get(key) !== undefined;
    this.tx.write(this.base + key, null);
    return existed;
  }

  entries<T>(prefix: string): Array<[string, T]> {
    const out: Array<[string, T]> = [];
    for (const key of this.tx.keys(this.base + prefix)) {
      if (isReserved(key.slice(this.base.length))) continue;
      const stored = this.live(this.tx.read(key));
      if (stored) out.push([key.slice(this.base.length), stored.v as T]);
    }
    return out;
  }

  scope(prefix: string): Store {
    return new ScopedStore(this, prefix);
  }

  clear(): void {
    for (const key of this.tx.keys(this.base)) if (!isReserved(key.slice(this.base.length))) this.tx.write(key, null);
  }

  sweep(records = false): void {
    const now = this.clock.now();
    for (const key of this.tx.keys(this.base)) {
      if (isReserved(key.slice(this.base.length))) continue;
      const raw = this.tx.read(key);
      if (raw === null) continue;
      const stored = this.live(raw);
      if (!stored || (records && ownExpiryPassed(stored.v, now))) this.tx.write(key, null);
    }
  }
}

/** `~clock`, `~faults`, `~outbox`: a session's own records, beside its APIs' entries. */
function isReserved(key: string): boolean {
  return key.startsWith('~');
}

/** One session inside one step: the same classes as the memory store, read from and written to the step. */
class TxSession implements SessionState {
  readonly store: Store;
  readonly clock: VirtualClock;
  private outboxCache?: Outbox;
  private faultsCache?: Faults;

  constructor(
    readonly name: string,
    private readonly tx: Tx,
    private readonly base: string,
    baseClock: Clock,
  ) {
    this.clock = this.hydrate('~clock', (onChange) => new VirtualClock(baseClock, onChange));
    this.store = new TxStore(tx, base, this.clock);
  }

  get outbox(): Outbox {
    return (this.outboxCache ??= this.hydrate('~outbox', (onChange) => new Outbox(this.clock, onChange)));
  }

  get faults(): Faults {
    return (this.faultsCache ??= this.hydrate('~faults', (onChange) => new Faults(onChange)));
  }

  /** An object restored from `key`, whose every change is written back to it. */
  private hydrate<T extends { state: unknown; restore(state: never): void }>(key: string, make: (onChange: () => void) => T): T {
    let live = false;
    const object: T = make(() => {
      if (live) this.tx.write(this.base + key, { raw: JSON.stringify(object.state) });
    });
    const raw = this.tx.read(this.base + key);
    if (raw !== null) object.restore(JSON.parse(raw) as never);
    live = true;
    return object;
  }
}

export interface RedisBackendOptions {
  url: string;
  logger: Logger;
  /** The real-time source under every session's virtual clock. */
  clock?: Clock;
}

export class RedisBackend implements StateBackend {
  readonly kind = 'redis';
  readonly journal: RequestJournal;
  private readonly listeners = new Set<(session: string) => void>();
  private readonly touched = new Map<string, number>();
  private readonly scripts = new Map<string, string>();
  private down: string | undefined;
  private closing = false;
  /** Per session: the tail of the queue of steps that lost a race (see run). */
  private readonly queues = new Map<string, Promise<void>>();
  /**
   * Per session: how many of this process's steps hold its lock. Optimism alone can starve a step
   * that awaits (a sign-in awaiting its signatures) while another process commits quick steps of the
   * same session without end: it lost 200 races in a row and answered 503. So a step that has lost
   * LOCK_AFTER_LOSSES races takes the session's lock (`<session>~lock`, held by this process,
   * lapsing after LOCK_MS); every commit checks the lock as one more key read: absent, or this
   * process's. Other processes' writing steps then wait for it, as this one waited for them.
   */
  private readonly locks = new Map<string, number>();
  private readonly owner = randomUUID();

  private constructor(
    private readonly client: Client,
    private readonly logger: Logger,
    private readonly baseClock: Clock,
    readonly url: string,
  ) {
    this.journal = new RedisJournal(this);
  }

  /** Connects to `url` (redis:// or rediss://); a Redis that cannot be reached stops start-up. */
  static async connect(options: RedisBackendOptions): Promise<RedisBackend> {
    const shown = redactUrl(options.url);
    let started = false;
    const client: Client = createClient({
      url: options.url,
      // A command sent while Redis is away fails at once (503) rather than waiting for it.
      disableOfflineQueue: true,
      socket: {
        connectTimeout: 3000,
        // At start-up one failed attempt is enough to stop; once serving, retry without end.
        reconnectStrategy: (retries, cause) => (started ? Math.min(50 * 2 ** retries, 1000) : cause),
      },
    });
    const backend = new RedisBackend(client, options.logger, options.clock ?? systemClock, shown);
    client.on('error', (err: Error) => {
      if (started) backend.lost(err.message);
    });
    client.on('ready', () => backend.back());
    let timer: NodeJS.Timeout | undefined;
    try {
      // Also bounded when something listens there but does not answer as Redis would.
      const silent = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5000);
      });
      await Promise.race([client.connect(), silent]);
      started = true;
    } catch (err) {
      if (client.isOpen) client.destroy();
      throw new StartupError(`--store ${shown}: cannot reach Redis (${(err as Error).message})`);
    } finally {
      clearTimeout(timer);
    }
    return backend;
  }

  private lost(why: string): void {
    if (this.closing) return;
    if (this.down === undefined) this.logger.error(`store: lost Redis at ${this.url} (${why}); requests get 503 until it is back`);
    this.down = why;
  }

  private back(): void {
    if (this.down !== undefined) this.logger.info(`store: Redis at ${this.url} is back`);
    this.down = undefined;
  }

  /** Sends one command; any failure to reach Redis becomes StoreUnavailable. */
  async call<T>(args: string[]): Promise<T> {
    try {
      return (await this.client.sendCommand(args, { timeout: COMMAND_TIMEOUT_MS })) as T;
    } catch (err) {
      // Redis answered (an error of the command, NOSCRIPT say): not an outage.
      if (err instanceof ErrorReply) throw err;
      const why = (err as Error).message || String(err);
      this.lost(why);
      throw new StoreUnavailable(this.down ?? why);
    }
  }

  /** Runs a Lua script, sending its text only when Redis does not have it yet. */
  async script<T>(source: string, keys: string[], args: string[]): Promise<T> {
    let sha = this.scripts.get(source);
    if (sha === undefined) {
      sha = await this.call<string>(['SCRIPT', 'LOAD', source]);
      this.scripts.set(source, sha);
    }
    try {
      return await this.call<T>(['EVALSHA', sha, String(keys.length), ...keys, ...args]);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return this.call<T>(['EVAL', source, String(keys.length), ...keys, ...args]);
    }
  }

  /**
   * A step runs optimistically; once it has lost a race, it runs again only when the steps of its
   * session that lost before it (in this process) are done. Many requests racing for one record (one
   * user signing in 50 times at once) then cost each one extra run, not one per rival, and none
   * gives up. Rivals in other processes are still met by the commit's check.
   */
  async run<R>(name: string | undefined, fn: (state: SessionState) => R | Promise<R>): Promise<R> {
    const session = name ?? 'default';
    let release: (() => void) | undefined;
    // While steps of this session wait for their turn, a new one joins them rather than race them.
    if (this.queues.has(session)) release = await this.queue(session);
    try {
      return await this.attempt(session, fn, async () => {
        release ??= await this.queue(session);
      });
    } finally {
      release?.();
    }
  }

  /** Waits for this session's earlier losers; returns the function that lets the next one go. */
  private async queue(session: string): Promise<() => void> {
    const before = this.queues.get(session) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    const tail = before.then(() => mine);
    this.queues.set(session, tail);
    // Bounded: a step that waits on one holding this queue (a nested step) goes on after a while,
    // racing as at first, rather than wait for ever.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([before, new Promise((resolve) => (timer = setTimeout(resolve, QUEUE_WAIT_MS)))]);
    clearTimeout(timer);
    return () => {
      done();
      if (this.queues.get(session) === tail) this.queues.delete(session);
    };
  }

  private async attempt<R>(session: string, fn: (state: SessionState) => R | Promise<R>, lostRace: () => Promise<void>): Promise<R> {
    const base = sessionBase(session);
    const tx = new Tx(base);
    let wanted = [`${base}~clock`, `${base}~faults`];
    let scans: string[] = [];
    let losses = 0;
    this.touch(session);
    try {
      for (let runs = 1; ; runs++) {
        await this.fetch(tx, wanted, scans);
        tx.writes = new Map();
        let outcome: { value: R } | { error: unknown };
        try {
          outcome = { value: await fn(new TxSession(session, tx, base, this.baseClock)) };
        } catch (err) {
          if (isRetry(err)) {
            wanted = [...tx.missingKeys];
            scans = [...tx.missingScans];
            tx.missingKeys.clear();
            tx.missingScans.clear();
            continue;
          }
          outcome = { error: err };
        }
        if ((tx.writes.size > 0 || tx.guessed) && !(await this.commit(tx, session))) {
          if (runs >= MAX_RUNS) throw new StoreUnavailable(`a step lost ${MAX_RUNS} races in a row`);
          if (++losses === LOCK_AFTER_LOSSES) await this.lock(session);
          // Lost a race: read again everything this step read, after a short random pause.
          wanted = [...tx.snapshot.keys()];
          scans = [...tx.scanned.keys()];
          tx.snapshot.clear();
          tx.scanned.clear();
          tx.guessed = false;
          if (runs > 1) await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(runs, 20)));
          await lostRace();
          continue;
        }
        if (tx.writes.size > 0) this.notify(session);
        if ('error' in outcome) throw outcome.error;
        return outcome.value;
      }
    } finally {
      if (losses >= LOCK_AFTER_LOSSES) await this.unlock(session);
    }
  }

  /** Reads `keys`, and the keys under each prefix of `scans`, into the step's snapshot. */
  private async fetch(tx: Tx, keys: string[], scans: string[]): Promise<void> {
    const todo = new Set(keys.filter((k) => !tx.snapshot.has(k)));
    for (const prefix of scans) {
      const found: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await this.call<[string, string[]]>(['SCAN', cursor, 'MATCH', `${globEscape(prefix)}*`, 'COUNT', '1000']);
        cursor = next;
        found.push(...batch);
      } while (cursor !== '0');
      tx.scanned.set(prefix, found);
      for (const key of found) if (!tx.snapshot.has(key)) todo.add(key);
    }
    const list = [...todo];
    for (let i = 0; i < list.length; i += 1000) {
      const chunk = list.slice(i, i + 1000);
      const values = await this.call<Array<string | null>>(['MGET', ...chunk]);
      chunk.forEach((key, j) => tx.fetched(key, values[j] ?? null));
    }
  }

  /** Writes the step if nothing it read has changed; false when it has (the step runs again). */
  /** Waits (bounded) for `session`'s lock; this process may hold it for several steps at once. */
  private async lock(session: string): Promise<void> {
    const held = this.locks.get(session) ?? 0;
    this.locks.set(session, held + 1);
    if (held > 0) return;
    const key = lockKey(session);
    const until = Date.now() + QUEUE_WAIT_MS;
    // Bounded: past QUEUE_WAIT_MS the step races without the lock (and may meet MAX_RUNS).
    while (Date.now() < until && !(await this.script<number>(LOCK, [key], [this.owner, String(LOCK_MS)]))) {
      await new Promise((resolve) => setTimeout(resolve, 2 + Math.random() * 8));
    }
  }

  private async unlock(session: string): Promise<void> {
    const held = (this.locks.get(session) ?? 1) - 1;
    if (held > 0) {
      this.locks.set(session, held);
      return;
    }
    this.locks.delete(session);
    await this.script(UNLOCK, [lockKey(session)], [this.owner]).catch(() => undefined); // it lapses anyway
  }

  private async commit(tx: Tx, session: string): Promise<boolean> {
    // The session's lock is one more key read: absent, or held by this process.
    const reads = [lockKey(session), ...tx.snapshot.keys()];
    const writes = [...tx.writes];
    const mine = this.locks.has(session) ? this.owner : ABSENT;
    const args = [String(reads.length), mine, ...reads.slice(1).map((k) => tx.snapshot.get(k) ?? ABSENT)];
    for (const [, write] of writes) args.push(write === null ? 'd' : 's', write?.raw ?? '', write?.px === undefined ? '' : String(write.px));
    return (await this.script<number>(COMMIT, [...reads, ...writes.map(([key]) => key)], args)) === 1;
  }

  /** Marks the session as in use (sessions past MAX_SESSIONS go, least recently used first). */
  private touch(session: string): void {
    const now = Date.now();
    if ((this.touched.get(session) ?? 0) > now - TOUCH_EVERY_MS) return;
    this.touched.set(session, now);
    if (this.touched.size > MAX_SESSIONS) this.touched.delete(this.touched.keys().next().value!);
    const score = session === 'default' ? 'inf' : String(now);
    this.call<number>(['ZADD', SESSIONS_KEY, score, session])
      .then(async (added) => {
        if (added !== 1) return;
        this.notify(session);
        const count = await this.call<number>(['ZCARD', SESSIONS_KEY]);
        if (count <= MAX_SESSIONS) return;
        const [oldest] = await this.call<string[]>(['ZPOPMIN', SESSIONS_KEY]);
        if (oldest !== undefined && oldest !== 'default') await this.dropSession(oldest);
      })
      .catch((err: Error) => this.logger.warn(`store: session ${session} not marked as used: ${err.message}`));
  }

  private async dropSession(session: string): Promise<void> {
    const base = sessionBase(session);
    const tx = new Tx(base);
    await this.fetch(tx, [], [base]);
    const keys = tx.scanned.get(base) ?? [];
    for (let i = 0; i < keys.length; i += 1000) await this.call(['UNLINK', ...keys.slice(i, i + 1000)]);
    await this.journal.clear(session);
  }

  async sessionNames(): Promise<string[]> {
    const names = await this.call<string[]>(['ZRANGE', SESSIONS_KEY, '0', '-1']);
    return ['default', ...names.filter((n) => n !== 'default')];
  }

  async resetApiEverywhere(api: string, version?: string): Promise<boolean> {
    if (version !== undefined) {
      const previous = await this.call<string | null>(['SET', `${RESETS_KEY}:${api}`, version, 'GET']);
      if (previous === version) return false;
    }
    for (const name of await this.sessionNames()) await this.run(name, (state) => resetState(state, api));
    return true;
  }

  subscribe(listener: (session: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(session: string): void {
    for (const listener of this.listeners) listener(session);
  }

  /** A signing key kept in Redis: the first instance to store one for `name` wins. */
  async keepKey(name: string, json: string): Promise<string> {
    await this.call(['HSETNX', KEYS_KEY, name, json]);
    return (await this.call<string | null>(['HGET', KEYS_KEY, name])) ?? json;
  }

  async findKey(name: string): Promise<string | undefined> {
    return (await this.call<string | null>(['HGET', KEYS_KEY, name])) ?? undefined;
  }

  async close(): Promise<void> {
    this.closing = true;
    try {
      await this.client.close();
    } catch {
      this.client.destroy();
    }
  }
}

const SESSIONS_KEY = `${REDIS_PREFIX}sessions`;
const KEYS_KEY = `${REDIS_PREFIX}keys`;
/** Per API, the version of its files that `--watch` last reset its state for. */
const RESETS_KEY = `${REDIS_PREFIX}watch-reset`;
const JOURNAL_KEY = `${REDIS_PREFIX}journal`;
const JOURNAL_ID_KEY = `${REDIS_PREFIX}journal:id`;

/** The key prefix of a session: its name (any text) encoded inside the hash tag. */
function sessionBase(session: string): string {
  return `${REDIS_PREFIX}{${encodeURIComponent(session)}}:`;
}

/** The key of a session's lock (see RedisBackend.locks), beside its records (one hash tag). */
function lockKey(session: string): string {
  return `${sessionBase(session)}~lock`;
}

function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** The journal in a Redis list shared by every instance; the live view hears this process's entries. */
class RedisJournal implements RequestJournal {
  private readonly listeners = new Set<(entry: JournalEntry) => void>();

  constructor(private readonly backend: RedisBackend) {}

  record(entry: Omit<JournalEntry, 'id'>): void {
    this.push(bounded(entry));
  }

  recordExchange(exchange: Exchange): void {
    this.push(renderExchange(exchange));
  }

  private push(kept: Omit<JournalEntry, 'id'>): void {
    this.backend
      .script<number>(JOURNAL_PUSH, [JOURNAL_KEY, JOURNAL_ID_KEY], [JSON.stringify(kept), String(JOURNAL_CAPACITY)])
      .then((id) => {
        for (const listener of this.listeners) listener({ id, ...kept });
      })
      .catch(() => undefined); // an outage is logged by the backend; the request was answered already
  }

  async list(filter: JournalFilter = {}): Promise<JournalEntry[]> {
    const raw = await this.backend.call<string[]>(['LRANGE', JOURNAL_KEY, '0', '-1']);
    return raw
      .map((text) => JSON.parse(text) as JournalEntry)
      .reverse()
      .filter((e) => matches(e, filter));
  }

  async clear(session?: string): Promise<void> {
    if (session === undefined) {
      await this.backend.call(['DEL', JOURNAL_KEY]);
      return;
    }
    await this.backend.script<number>(JOURNAL_CLEAR_SESSION, [JOURNAL_KEY], [session]);
  }

  subscribe(listener: (entry: JournalEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Signing keys kept in Redis (`authdouble:keys`), so that every instance signs with the same ones. */
export class RedisKeys implements KeyKeeper {
  constructor(private readonly backend: RedisBackend) {}

  async find(name: string): Promise<StoredKey | undefined> {
    const raw = await this.backend.findKey(name);
    return raw === undefined ? undefined : checkKeys({ [name]: JSON.parse(raw) }, REDIS_PREFIX + 'keys')[name];
  }

  async add(name: string, key: StoredKey): Promise<StoredKey | undefined> {
    const raw = await this.backend.keepKey(name, JSON.stringify(key));
    const kept = checkKeys({ [name]: JSON.parse(raw) }, REDIS_PREFIX + 'keys')[name]!;
    return kept.kid === key.kid ? undefined : kept;
  }
}
