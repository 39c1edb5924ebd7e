import { setFlagsFromString } from 'node:v8';
import type { Logger } from './logger';

/**
 * How far V8 lets the old generation grow past what its last full collection kept, in percent, in
 * a standalone server (`authdouble serve`, and each `--workers` process).
 *
 * V8's own growth factor is chosen for throughput: up to 4x what survived, so a server under load
 * collects its old generation late and sits on garbage, about 25 MB of it after the bench's sign-in
 * loads (docs/benchmarks.md, "RSS after the loads"), until V8's memory reducer runs some 25 s after
 * the load ends. A mock runs beside a browser, an IDE and a test runner, or as one of many in CI, so
 * it trades a few more full collections for that memory: 1.3x is V8's own factor for a heap that
 * grows slowly. Under about 27 MB live, V8's minimum step of 8 MB decides, not this factor.
 *
 * V8 reads the flag at each full collection, so it can be set in a running process (the young
 * generation's size cannot: it is fixed when the heap is made).
 */
export const HEAP_GROWING_PERCENT = 30;

/**
 * The flag is set this long after start-up, not before: once a V8 flag changes, V8 refuses node's
 * code cache for every built-in module compiled after it (measured: 3x slower to compile, and the
 * signing thread boots in 35 ms instead of 18), which cost the start-up to a first sign-in on all
 * five APIs 20 to 30 ms.
 */
export const LEAN_HEAP_AFTER_MS = 1000;

const FLAG = '--heap-growing-percent';

/**
 * Sets V8's heap growing factor for this process LEAN_HEAP_AFTER_MS from now, unless node was
 * started with one (`node --heap-growing-percent=N`, where 0 is V8's own choice): that one is kept.
 * NODE_OPTIONS cannot carry this flag (node refuses it there). Logs what will be in force, and
 * returns it. Only for a process that is the server: a library user's process keeps V8's defaults.
 */
export function leanHeap(
  logger: Pick<Logger, 'info'>,
  execArgv: readonly string[] = process.execArgv,
  set: (flags: string) => void = setFlagsFromString,
  afterMs = LEAN_HEAP_AFTER_MS,
): string {
  const given = execArgv.find((arg) => arg.replace(/_/g, '-').startsWith(FLAG));
  let said: string;
  if (given !== undefined) said = `V8's old generation grows as node was told (${given})`;
  else {
    setTimeout(() => set(`${FLAG}=${HEAP_GROWING_PERCENT}`), afterMs).unref();
    said = `V8's old generation grows by ${HEAP_GROWING_PERCENT}% over what each full collection keeps (node ${FLAG}=N to choose, 0 for V8's own)`;
  }
  logger.info(`memory: ${said}`);
  return said;
}
