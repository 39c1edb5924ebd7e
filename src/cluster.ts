/**
 * `authdouble serve --workers <n>`: n processes serving one port, with Node's cluster module. The
 * primary process does not serve: it forks the workers (this same file, run as a worker), hands each
 * the options the CLI resolved, prints the banner once they all listen, forwards SIGINT/SIGTERM/SIGHUP
 * to them and exits once they have closed. A worker that dies unexpectedly is logged and replaced, up
 * to RESTART_LIMIT crashes in a short time; then the primary gives up (exit 1).
 *
 * The workers share nothing but the port: the state must be in a shared store (Redis), which the CLI
 * checks before it gets here.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { listeningBanner, tlsBanner } from './cli/banner';
import { StartupError } from './errors';
import { leanHeap } from './heap';
import { createLogger, type Logger, type LogLevel } from './logger';
import { DEFAULT_OPTIONS, type ServerOptions } from './options';
import { startServer, type RunningServer } from './server';
import { defaultTlsDir, localCertificate } from './tls';

/** More than this many workers is refused: each is a whole Node process with its own Redis connection. */
export const MAX_WORKERS = 64;
/** This many unexpected exits of workers within `withinMs` and the primary stops them all (exit 1). */
export const RESTART_LIMIT = { crashes: 3, withinMs: 60_000 };
/** After a signal, workers get this long to close (their own grace for in-flight requests is 10 s). */
const STOP_GRACE_MS = 20_000;
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** The value of `--workers`: a whole number from 1 to MAX_WORKERS, or `auto` (one per core). */
export function parseWorkers(value: string): number | 'auto' {
  if (value === 'auto') return 'auto';
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new Error('must be a whole number, at least 1, or auto (one per core)');
  if (Number(value) > MAX_WORKERS) throw new Error(`must be at most ${MAX_WORKERS}`);
  return Number(value);
}

/** How many processes `--workers` asks for: `auto` is the number of cores Node may use. */
export function workerCount(value: number | 'auto' | undefined): number {
  if (value === undefined) return 1;
  return value === 'auto' ? Math.min(availableParallelism(), MAX_WORKERS) : value;
}

/** Why a memory store cannot have workers; undefined when the store is shared. */
export function workersRefusal(value: number | 'auto' | undefined, store: string): string | undefined {
  if (value === undefined || value === 1 || store !== 'memory') return undefined;
  return (
    `--workers ${String(value)} needs a shared store, and the state is in memory: each worker would keep its own ` +
    '(a token issued by one would be unknown to the others, rate limits would be counted per worker). ' +
    'Give --store redis://host:port (or AUTHDOUBLE_STORE), or leave --workers out'
  );
}

type FromWorker =
  | { type: 'listening'; url: string; banner: string; tls?: { certFile: string; fingerprint256: string; generated: boolean } }
  | { type: 'failed'; message: string; code: number };
interface ToWorker {
  type: 'options';
  options: Partial<ServerOptions>;
}

/**
 * Runs `count` workers on the port of `options` until a signal stops them; resolves with the exit
 * code for the primary (0 after a clean stop, 2 when a worker could not start for a reason of usage,
 * 1 otherwise).
 */
export async function serveWorkers(count: number, options: Partial<ServerOptions>): Promise<number> {
  const logger = createLogger(options.logLevel ?? DEFAULT_OPTIONS.logLevel);
  // A self-signed certificate is made once, here, so that the workers do not race to write it and
  // all serve the same one.
  let tlsGenerated = false;
  if (options.https && options.tlsCert === undefined) {
    tlsGenerated = (await localCertificate(options.tlsDir ?? defaultTlsDir())).generated;
  }
  cluster.setupPrimary({ exec: __filename, args: [] });

  return new Promise<number>((resolve) => {
    const live = new Set<Worker>();
    const ready = new Map<Worker, Extract<FromWorker, { type: 'listening' }>>();
    const failures = new Map<Worker, Extract<FromWorker, { type: 'failed' }>>();
    const crashes: number[] = [];
    let started = false;
    let stopping = false;
    let exitCode = 0;
    let killTimer: NodeJS.Timeout | undefined;

    const fork = () => {
      const worker = cluster.fork();
      live.add(worker);
      worker.on('message', (message: FromWorker) => onMessage(worker, message));
      worker.send({ type: 'options', options } satisfies ToWorker);
    };

    const finish = () => {
      for (const signal of SIGNALS) process.off(signal, onSignal);
      cluster.off('exit', onExit);
      clearTimeout(killTimer);
      resolve(exitCode);
    };

    const stopAll = (code: number, signal: NodeJS.Signals = 'SIGTERM') => {
      if (!stopping) {
        stopping = true;
        exitCode = code;
        killTimer = setTimeout(() => {
          logger.error(`workers still running ${STOP_GRACE_MS / 1000} s after ${signal}: killing them`);
          exitCode = 1;
          for (const worker of live) worker.process.kill('SIGKILL');
        }, STOP_GRACE_MS);
      }
      if (live.size === 0) return finish();
      for (const worker of live) worker.process.kill(signal);
    };

    const onMessage = (worker: Worker, message: FromWorker) => {
      if (message.type === 'failed') {
        failures.set(worker, message);
        return;
      }
      ready.set(worker, message);
      if (started) {
        logger.info(`worker ${worker.process.pid} is serving`);
        return;
      }
      if (ready.size < count || stopping) return;
      started = true;
      const pids = [...ready.keys()]
        .map((w) => w.process.pid ?? 0)
        .sort((a, b) => a - b)
        .join(', ');
      const tls = message.tls ? tlsBanner({ ...message.tls, generated: tlsGenerated || message.tls.generated }) : '';
      process.stdout.write(`${message.banner}  ${'workers'.padEnd(8)} ${count} processes share the port: pids ${pids}\n${tls}`);
    };

    const onExit = (worker: Worker, code: number | null, signal: string | null) => {
      if (!live.delete(worker)) return;
      ready.delete(worker);
      const how = signal ? `was killed by ${signal}` : `exited with ${String(code)}`;
      const failure = failures.get(worker);
      if (stopping) {
        if (code !== 0 && exitCode === 0) exitCode = 1;
        if (live.size === 0) finish();
        return;
      }
      if (!started) {
        // The first start: a worker that cannot start means the server cannot (bad fixture, port taken).
        process.stderr.write(`authdouble: ${failure?.message ?? `a worker (pid ${worker.process.pid}) ${how} while starting`}\n`);
        stopAll(failure?.code ?? 1);
        return;
      }
      const now = Date.now();
      crashes.push(now);
      while (crashes.length > 0 && crashes[0]! < now - RESTART_LIMIT.withinMs) crashes.shift();
      const why = failure ? `could not start: ${failure.message}` : how;
      if (crashes.length >= RESTART_LIMIT.crashes) {
        logger.error(`worker ${worker.process.pid} ${why}; ${crashes.length} workers ended unexpectedly within ${RESTART_LIMIT.withinMs / 1000} s, so authdouble gives up`);
        stopAll(1);
        return;
      }
      logger.error(`worker ${worker.process.pid} ${why}; starting another`);
      fork();
    };

    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        // A second signal: stop at once, as a single process does.
        logger.warn(`${signal} again: killing the workers`);
        exitCode = 1;
        for (const worker of live) worker.process.kill('SIGKILL');
        return;
      }
      logger.info(`${signal}: stopping ${live.size} workers`);
      stopAll(0, signal);
    };

    cluster.on('exit', onExit);
    for (const signal of SIGNALS) process.on(signal, onSignal);
    for (let i = 0; i < count; i++) fork();
  });
}

/** A worker's logger: every line says which process wrote it. */
function workerLogger(level: LogLevel): Logger {
  const tag = `[pid ${process.pid}]`;
  return createLogger(level, (line) => process.stderr.write(line.replace(/^(\S+ \S+) /, `$1 ${tag} `)));
}

/** A worker: waits for its options, serves, and reports to the primary. */
async function workerMain(): Promise<void> {
  const send = (message: FromWorker) => new Promise<void>((resolve) => process.send!(message, undefined, {}, () => resolve()));
  const { options } = await new Promise<ToWorker>((resolve) => process.once('message', (m: ToWorker) => resolve(m)));
  let running: RunningServer;
  try {
    running = await startServer(options, { logger: workerLogger(options.logLevel ?? DEFAULT_OPTIONS.logLevel) });
    leanHeap(running.logger);
  } catch (err) {
    const usage = err instanceof StartupError;
    await send({ type: 'failed', message: usage ? err.message : String((err as Error)?.stack ?? err), code: usage ? 2 : 1 });
    process.exit(usage ? 2 : 1);
  }
  let stopping = false;
  // The primary forwards its signals; from a terminal the worker may also get the same one itself.
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    running.logger.info(`${signal}: shutting down`);
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        running.logger.error(`could not close: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  for (const signal of SIGNALS) process.on(signal, stop);
  await send({ type: 'listening', url: running.url, banner: listeningBanner(running), tls: running.tls && { certFile: running.tls.certFile, fingerprint256: running.tls.fingerprint256, generated: running.tls.generated } });
}

if (require.main === module && cluster.isWorker) void workerMain();
