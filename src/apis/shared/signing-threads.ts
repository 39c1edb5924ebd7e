import { sign as signAsync, type KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';

/**
 * Signing threads: one fewer than the machine's cores (at least one), so the event loop keeps a core.
 *
 * History (issue 13's soak): signing on libuv's 4 pool threads put 500 RS256 signatures of a 250-way
 * burst on 2 cores and stalled the event loop for 120-250 ms. Capping the pool at one signature at a
 * time fixed the stalls but left the pool idle between two signatures until the loop got round to
 * handing it the next (a third of the vault password grants a second). A thread of our own takes
 * signatures from its queue back to back, whatever the loop is doing.
 */
export const SIGNING_THREADS = Math.max(1, availableParallelism() - 1);

/**
 * What a signing thread runs: signs each request of a batch and answers each at once, so the loop
 * can hand it more while it signs the rest (answering a batch as one stalled the thread in turns).
 */
const THREAD_CODE = `
const { parentPort } = require('node:worker_threads');
const { sign } = require('node:crypto');
const keys = new Map();
parentPort.on('message', (batch) => {
  for (const { id, algorithm, data, keyId, key } of batch) {
    if (key) keys.set(keyId, key);
    try {
      parentPort.postMessage({ id, signature: sign(algorithm, Buffer.from(data), keys.get(keyId)) });
    } catch (err) {
      parentPort.postMessage({ id, error: String(err && err.message) });
    }
  }
});
`;

interface Request {
  id: number;
  algorithm: string | null;
  /**
   * What to sign, as text: a Buffer of a short text is a view on node's shared 8 KB pool, and a
   * message carries a view's whole ArrayBuffer (8 KB a signature, copied and kept by both threads).
   */
  data: string;
  keyId: number;
  /** Sent with a key's first request to a thread; the thread keeps it under keyId. */
  key?: KeyObject;
}

interface Answer {
  id: number;
  signature?: Uint8Array;
  error?: string;
}

type Pending = { resolve: (signature: Buffer) => void; reject: (err: Error) => void };

const keyIds = new WeakMap<KeyObject, number>();
let nextKeyId = 0;
let nextId = 0;
let threadsStarted = 0;

class SigningThread {
  private readonly worker = new Worker(THREAD_CODE, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 1 } });
  /** Whether the thread has booted (a Node environment of its own: tens of ms, once). */
  online = false;
  readonly pending = new Map<number, Pending>();
  private readonly keys = new Set<number>();
  private batch: Request[] = [];

  constructor(private readonly onGone: (thread: SigningThread) => void) {
    threadsStarted++;
    this.worker.unref();
    this.worker.once('online', () => {
      this.online = true;
      // An unref() before the thread is online does not hold: an idle thread must not keep the process alive.
      if (this.pending.size === 0) this.worker.unref();
    });
    this.worker.on('message', ({ id, signature, error }: Answer) => {
      const waiting = this.pending.get(id);
      this.pending.delete(id);
      if (signature) waiting?.resolve(Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength));
      else waiting?.reject(new Error(`signing failed: ${error}`));
      // Pending signatures keep the process alive, as libuv's did; an idle thread does not.
      if (this.pending.size === 0) this.worker.unref();
    });
    const fail = (err: Error) => {
      this.onGone(this);
      for (const { reject } of this.pending.values()) reject(err);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the signing thread exited (${code})`)));
  }

  /** Queues a signature; the batch of this turn of the loop goes to the thread in one message. */
  sign(algorithm: string | null, data: string, key: KeyObject): Promise<Buffer> {
    let keyId = keyIds.get(key);
    if (keyId === undefined) keyIds.set(key, (keyId = nextKeyId++));
    const first = !this.keys.has(keyId);
    this.keys.add(keyId);
    const id = nextId++;
    if (this.batch.length === 0) setImmediate(() => this.flush());
    this.batch.push({ id, algorithm, data, keyId, ...(first ? { key } : {}) });
    if (this.pending.size === 0) this.worker.ref();
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  private flush(): void {
    const batch = this.batch;
    this.batch = [];
    this.worker.postMessage(batch);
  }
}

const threads: SigningThread[] = [];
let mostPending = 0;

let onPool = 0;
let mostOnPool = 0;

/** libuv's pool, for the signatures asked for while the first thread boots. */
const signOnPool = promisify(signAsync) as (algorithm: string | null, data: Buffer, key: KeyObject) => Promise<Buffer>;

function startThread(): SigningThread {
  const thread = new SigningThread((gone) => {
    const at = threads.indexOf(gone);
    if (at !== -1) threads.splice(at, 1);
  });
  threads.push(thread);
  return thread;
}

/**
 * Signs `data` on a signing thread (the online one with the fewest waiting), off the event loop.
 * Until a thread has booted, the first few go to libuv's pool: a mock's first sign-ins do not wait
 * for the boot.
 */
export function signOnThread(algorithm: string | null, data: string, key: KeyObject): Promise<Buffer> {
  if (threads.length === 0) startThread();
  const online = threads.filter((t) => t.online);
  // While the first thread boots, as many signatures at once as it would compute go to the pool;
  // more (a burst) queue on the booting thread: a burst on the pool's 4 threads stalls the loop.
  if (online.length === 0 && onPool < SIGNING_THREADS) {
    mostOnPool = Math.max(mostOnPool, ++onPool);
    return signOnPool(algorithm, Buffer.from(data), key).finally(() => onPool--);
  }
  const thread = (online.length > 0 ? online : threads).reduce((best, t) => (best.pending.size <= t.pending.size ? best : t));
  if (thread.pending.size > 0 && threads.length < SIGNING_THREADS) startThread();
  const signed = thread.sign(algorithm, data, key);
  mostPending = Math.max(mostPending, pendingSignatures());
  return signed;
}

function pendingSignatures(): number {
  return threads.reduce((n, t) => n + t.pending.size, 0);
}

/** Resolves once a signing thread is online (starting one if none is): for tests. */
export async function signingThreadOnline(): Promise<void> {
  if (threads.length === 0) startThread();
  for (let i = 0; i < 500 && !threads.some((t) => t.online); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

/**
 * For tests: signing threads started since the process began, those running now, signatures
 * waiting now, the most waiting at once since the last call, and the most on libuv's pool at once
 * while the first thread booted.
 */
export function signingLoad(): { started: number; threads: number; pending: number; mostPending: number; mostOnPool: number } {
  const load = { started: threadsStarted, threads: threads.length, pending: pendingSignatures(), mostPending, mostOnPool };
  mostPending = load.pending;
  return load;
}
