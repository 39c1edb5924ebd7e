import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync, unlinkSync } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { StartupError } from '../errors';
import type { Logger } from '../logger';
import type { ClockState } from './clock';
import type { OutboxMessage, OutboxState } from './outbox';
import { MAX_SESSIONS, type Sessions } from './sessions';
import type { StoredEntry } from './store';
import { checkKeys, type KeyRing, type StoredKey } from '../apis/shared/keys';

/**
 * `--state-file`: what users keep across a restart (every session's store, so sign-ups, e-mail
 * changes, revocations and issued tokens; its outbox; its clock) written to one JSON file:
 * atomically (a temporary file, fsync, rename), periodically while something changed, and once
 * more on shutdown after in-flight requests finished. The journal and the faults are not kept:
 * they describe one test run. A file that cannot be read stops start-up and is left untouched.
 */

export const STATE_FORMAT = 'authdouble-state';
export const STATE_VERSION = 1;

/**
 * Keys of entries that only mean something while the process runs: the bindings of open
 * WebSockets (`sama:socket:<connection>`), whose connections do not survive a restart.
 */
const EPHEMERAL_KEY = /^[^:]+:socket:/;

export interface SessionSnapshot {
  name: string;
  clock: ClockState;
  /** `[key, value, expiresAt]`; expiresAt is null for entries that never expire. */
  store: Array<[string, unknown, number | null]>;
  outbox: OutboxState;
}

export interface StateSnapshot {
  format: typeof STATE_FORMAT;
  version: typeof STATE_VERSION;
  savedAt: string;
  sessions: SessionSnapshot[];
  /** The signing keys, so that tokens issued before a restart verify after it (absent in older files). */
  keys?: Record<string, StoredKey>;
}

/** Everything to keep, as plain JSON data. */
export function snapshotOf(sessions: Sessions, savedAt: Date, keys?: KeyRing): StateSnapshot {
  return {
    ...(keys ? { keys: keys.export() } : {}),
    format: STATE_FORMAT,
    version: STATE_VERSION,
    savedAt: savedAt.toISOString(),
    sessions: sessions.all().map((session) => ({
      name: session.name,
      clock: session.clock.state,
      store: session.store
        .dump()
        .filter((e) => !EPHEMERAL_KEY.test(e.key))
        .map((e): [string, unknown, number | null] => [e.key, e.value, Number.isFinite(e.expiresAt) ? e.expiresAt : null]),
      outbox: session.outbox.state,
    })),
  };
}

/** Puts a snapshot's sessions back (entries that expired meanwhile are left out). */
export function restoreSnapshot(sessions: Sessions, snapshot: StateSnapshot): number {
  let leftOut = 0;
  for (const saved of snapshot.sessions) {
    const session = sessions.get(saved.name);
    session.clock.restore(saved.clock);
    session.store.clear();
    leftOut += session.store.load(saved.store.map(([key, value, expiresAt]): StoredEntry => ({ key, value, expiresAt: expiresAt ?? Infinity })));
    session.outbox.restore(saved.outbox);
  }
  return leftOut;
}

/**
 * Reads a state file: undefined when there is none yet (or it is empty), the snapshot when it is
 * one. Anything else is a StartupError that names the file and what is wrong; the file is not
 * touched.
 */
export function readStateFile(file: string): StateSnapshot | undefined {
  const where = `state file ${file}`;
  const dir = path.dirname(path.resolve(file));
  let dirIsFolder = false;
  try {
    dirIsFolder = statSync(dir).isDirectory();
  } catch {
    // reported below
  }
  if (!dirIsFolder) throw new StartupError(`${where}: its folder ${dir} does not exist`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new StartupError(`${where}: cannot be read (${code === 'EISDIR' ? 'it is a folder' : (err as Error).message})`);
  }
  if (text.trim() === '') return undefined;
  const corrupt = (why: string): never => {
    throw new StartupError(
      `${where} is not an authdouble state file (${why}); it was left as it is. Fix it, move it away or point --state-file elsewhere.`,
    );
  };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return corrupt(`not valid JSON: ${(err as Error).message}`);
  }
  const problem = snapshotProblem(data);
  if (problem) corrupt(problem);
  return data as StateSnapshot;
}

/** What makes `data` not a snapshot this version can restore (undefined when it is one). */
function snapshotProblem(data: unknown): string | undefined {
  if (!isRecord(data) || data.format !== STATE_FORMAT) return `"format" is not "${STATE_FORMAT}"`;
  if (data.version !== STATE_VERSION) return `version ${JSON.stringify(data.version)} is not ${STATE_VERSION}`;
  if (!Array.isArray(data.sessions)) return '"sessions" is not a list';
  if (data.keys !== undefined) {
    try {
      checkKeys(data.keys, 'keys');
    } catch (err) {
      return (err as Error).message;
    }
  }
  for (const [i, s] of data.sessions.entries()) {
    const at = `sessions[${i}]`;
    if (!isRecord(s) || typeof s.name !== 'string' || s.name === '') return `${at}.name is not a name`;
    if (!isRecord(s.clock) || typeof s.clock.offsetMs !== 'number' || !optionalNumber(s.clock.pinnedAt)) return `${at}.clock is not a clock`;
    // The clock must stay inside the range the control API allows (1970-01-01 .. 9000-01-01).
    if (!(Math.abs(s.clock.offsetMs) <= CLOCK_SPAN_MS)) return `${at}.clock.offsetMs ${String(s.clock.offsetMs)} is out of range`;
    if (s.clock.pinnedAt !== undefined && !((s.clock.pinnedAt as number) >= 0 && (s.clock.pinnedAt as number) < CLOCK_SPAN_MS)) {
      return `${at}.clock.pinnedAt ${String(s.clock.pinnedAt)} is out of range`;
    }
    if (!Array.isArray(s.store)) return `${at}.store is not a list`;
    for (const [j, e] of s.store.entries()) {
      if (!Array.isArray(e) || e.length !== 3 || typeof e[0] !== 'string' || (e[2] !== null && typeof e[2] !== 'number')) {
        return `${at}.store[${j}] is not [key, value, expiresAt]`;
      }
      const bad = recordProblem(e[0] as string, e[1]);
      if (bad) return `${at}.store[${j}] (${(e[0] as string).slice(0, 80)}): ${bad}`;
    }
    if (!isRecord(s.outbox) || typeof s.outbox.nextId !== 'number' || !Array.isArray(s.outbox.messages)) return `${at}.outbox is not an outbox`;
    for (const [j, m] of (s.outbox.messages as unknown[]).entries()) {
      if (!isOutboxMessage(m)) return `${at}.outbox.messages[${j}] is not a message`;
    }
  }
  return undefined;
}

/** Milliseconds from 1970-01-01 to 9000-01-01: the clock's range. */
const CLOCK_SPAN_MS = Date.UTC(9000, 0, 1);

/**
 * What is wrong with a stored record of a kind this server knows the shape of (the token book's
 * tokens, families and per-user lists; rate-limit counters; users): undefined when nothing is, or
 * when the kind is not one of these.
 */
function recordProblem(key: string, value: unknown): string | undefined {
  const kind = key.split(':')[1];
  const numbers = (v: Record<string, unknown>, ...names: string[]) => names.find((n) => typeof v[n] !== 'number' || !Number.isFinite(v[n]));
  switch (kind) {
    case 'subject':
      return Array.isArray(value) && value.every((f) => typeof f === 'string') ? undefined : 'is not a list of session ids';
    case 'family': {
      if (!isRecord(value) || typeof value.subject !== 'string' || (typeof value.tokens !== 'string' && !Array.isArray(value.tokens))) return 'is not a session';
      const n = numbers(value, 'expiresAt');
      return n ? `${n} is not a number` : undefined;
    }
    case 'token': {
      if (!isRecord(value) || typeof value.kind !== 'string' || typeof value.family !== 'string' || typeof value.token !== 'string') return 'is not a token';
      const n = numbers(value, 'issuedAt', 'expiresAt');
      return n ? `${n} is not a number` : undefined;
    }
    case 'ratelimit': {
      if (!isRecord(value)) return 'is not a rate-limit counter';
      const n = numbers(value, 'count', 'windowStart');
      return n ? `${n} is not a number` : undefined;
    }
    case 'user':
      return isRecord(value) ? undefined : 'is not a user';
    default:
      return undefined;
  }
}

function isOutboxMessage(m: unknown): m is OutboxMessage {
  return (
    isRecord(m) &&
    typeof m.id === 'number' &&
    ['api', 'to', 'subject', 'text', 'sentAt'].every((k) => typeof m[k] === 'string') &&
    (m.code === undefined || typeof m.code === 'string')
  );
}

function optionalNumber(v: unknown): boolean {
  return v === undefined || typeof v === 'number';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Writes `text` to `file` so that a reader sees the old file or the new one, never a torn one (see
 * replaceFile). Private to the user (mode 600).
 */
export async function writeFileAtomically(file: string, text: string): Promise<void> {
  await replaceFile(file, (handle) => handle.writeFile(text, 'utf8'));
}

/**
 * Replaces `file` atomically with what `write` puts in a temporary file beside it: flushed to disk,
 * renamed over the file, and the folder flushed. The temporary file is removed if anything fails.
 * Mode 600: these files hold passwords of sign-ups, live tokens and signing keys. Through a
 * symlink, the file it points to is replaced and the link kept.
 */
async function replaceFile(file: string, write: (handle: FileHandle) => Promise<unknown>): Promise<void> {
  const target = targetOf(file);
  const tmp = temporaryFileOf(target);
  const handle = await open(tmp, 'w', 0o600);
  try {
    await write(handle);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await handle.close();
  try {
    await rename(tmp, target);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  syncFolder(path.dirname(target));
}

function syncFolder(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some platforms cannot fsync a folder; the rename is still atomic there.
  }
}

/** Entries serialized between two yields to the event loop while saving. */
const SAVE_BATCH = 256;

/**
 * Streams the state to `file` atomically, a few hundred entries at a time with a write (and so a
 * turn of the event loop) between batches: a save never stalls request handling for more than the
 * time one batch takes to serialize, whatever the size of the state. Through a symlink, the file
 * it points to is replaced and the link kept.
 */
export async function saveStreamed(file: string, sessions: Sessions, savedAt: Date, keys?: KeyRing): Promise<void> {
  await replaceFile(file, async (handle) => {
    const head = { ...(keys ? { keys: keys.export() } : {}), format: STATE_FORMAT, version: STATE_VERSION, savedAt: savedAt.toISOString() };
    await handle.write(`${JSON.stringify(head).slice(0, -1)},"sessions":[`);
    let firstSession = true;
    for (const session of sessions.all()) {
      const meta = { name: session.name, clock: session.clock.state, outbox: session.outbox.state };
      await handle.write(`${firstSession ? '' : ','}${JSON.stringify(meta).slice(0, -1)},"store":[`);
      firstSession = false;
      let firstEntry = true;
      for (const batch of session.store.batches(SAVE_BATCH)) {
        const parts: string[] = [];
        for (const e of batch) {
          if (EPHEMERAL_KEY.test(e.key)) continue;
          parts.push(JSON.stringify([e.key, e.value, Number.isFinite(e.expiresAt) ? e.expiresAt : null]));
        }
        if (parts.length === 0) continue;
        await handle.write(`${firstEntry ? '' : ','}${parts.join(',')}`);
        firstEntry = false;
      }
      await handle.write(']}');
    }
    await handle.write(']}');
  });
}

/** The file a state file path names: through symlinks (even one whose file does not exist yet). */
function targetOf(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    try {
      return path.resolve(path.dirname(file), readlinkSync(file));
    } catch {
      return file;
    }
  }
}

function temporaryFileOf(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
}

/** Removes temporary files an earlier run left beside the state file (killed in the middle of a save). */
export function removeLeftovers(file: string, logger: Logger): void {
  const target = targetOf(file);
  const dir = path.dirname(target);
  const pattern = new RegExp(`^\\.${path.basename(target).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.\\d+\\.tmp$`);
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!pattern.test(name)) continue;
    try {
      unlinkSync(path.join(dir, name));
      logger.info(`removed ${name}, left by an earlier run in the middle of a save`);
    } catch {
      // not ours to remove
    }
  }
}

/** Default time between saves while the state changes. */
export const DEFAULT_SAVE_INTERVAL_MS = 5000;

/**
 * Keeps a state file: restores it at start, saves it every `intervalMs` while the state changed
 * since the last save, and once more at `close()`. Saves never overlap; a failed periodic save is
 * logged and retried at the next tick.
 */
export class StateFile {
  private savedChanges: number;
  private savedKeyChanges: number;
  private writing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    readonly file: string,
    private readonly sessions: Sessions,
    private readonly logger: Logger,
    private readonly now: () => Date,
    private readonly keys?: KeyRing,
  ) {
    this.savedChanges = sessions.changes;
    this.savedKeyChanges = keys?.changes ?? 0;
  }

  /** Restores `file` into `sessions` (a StartupError when it cannot be read) and starts saving. */
  static open(
    file: string,
    sessions: Sessions,
    logger: Logger,
    options: { intervalMs?: number; now?: () => Date; keys?: KeyRing } = {},
  ): StateFile {
    const snapshot = readStateFile(file);
    removeLeftovers(file, logger);
    const leftOut = snapshot ? restoreSnapshot(sessions, snapshot) : 0;
    if (snapshot && snapshot.sessions.length > MAX_SESSIONS) {
      logger.warn(`state file ${file} holds ${snapshot.sessions.length} sessions; only the last ${MAX_SESSIONS} are kept (the bound), and the file will be saved that way`);
    }
    if (leftOut > 0) logger.warn(`state file ${file}: ${leftOut} entries are over the state bounds (docs/hardening.md) and were left out; the file will be saved without them`);
    if (snapshot?.keys) options.keys?.restore(snapshot.keys);
    const state = new StateFile(file, sessions, logger, options.now ?? (() => new Date()), options.keys);
    if (snapshot) {
      const entries = snapshot.sessions.reduce((n, s) => n + s.store.length, 0);
      logger.info(`state restored from ${file}: ${snapshot.sessions.length} session(s), ${entries} entries, saved ${snapshot.savedAt}`);
    }
    const interval = options.intervalMs ?? DEFAULT_SAVE_INTERVAL_MS;
    state.timer = setInterval(() => {
      if (state.dirty) state.save().catch((err: unknown) => logger.error(`could not save the state to ${file}: ${(err as Error).message}`));
    }, interval);
    state.timer.unref();
    return state;
  }

  get dirty(): boolean {
    return this.sessions.changes !== this.savedChanges || (this.keys?.changes ?? 0) !== this.savedKeyChanges;
  }

  /** Saves now (after any save under way). The snapshot is taken when this save's turn comes. */
  save(): Promise<void> {
    const next = this.writing.then(async () => {
      const changes = this.sessions.changes;
      const keyChanges = this.keys?.changes ?? 0;
      await saveStreamed(this.file, this.sessions, this.now(), this.keys);
      this.savedChanges = changes;
      this.savedKeyChanges = keyChanges;
    });
    this.writing = next.catch(() => undefined);
    return next;
  }

  /** Stops the periodic saves and saves one last time. */
  async close(): Promise<void> {
    this.stop();
    await this.save();
  }

  /** Stops the periodic saves without saving (the server never served: the file stays as it was). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
