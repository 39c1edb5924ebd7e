import { performance } from 'node:perf_hooks';

/**
 * Request handling (and WebSocket frames) in slices of the event loop. A burst of requests that
 * arrive together (250 sign-ins at once) would otherwise all be handled in one turn of the loop:
 * 250 times the work of a sign-in (validation, the behaviour, the store) before any timer, socket
 * write or new connection gets a turn, which stalled the loop for 60-90 ms on 2 cores (issue 13's
 * soak). Here a turn runs handlers for at most TURN_BUDGET_MS; the rest wait, in order of arrival,
 * for the check phase of the loop, and from there for the next turns, TURN_BUDGET_MS at a time.
 * When nothing is waiting, a handler runs at once, as before: a server that is not flooded sees no
 * difference.
 *
 * Handlers are asynchronous: most of their work runs in promise continuations (microtasks) after
 * their first `await`. So a slice starts the next handler from a microtask queued behind the
 * previous handler's continuations, and reads the clock there: the time it sees includes what the
 * handlers started before have done so far, not only their synchronous start.
 */
export const TURN_BUDGET_MS = 10;

const waiting: Array<() => void> = [];
/** When the current slice began (performance.now()), or -1 when no slice is open. */
let sliceStart = -1;
/** Handlers queued since start (for tests). */
let queuedTotal = 0;

/** Runs `handler` now when this turn's slice has time left and nothing waits, else in order later. */
export function inTurn(handler: () => void): void {
  if (waiting.length === 0 && sliceHasTime()) {
    handler();
    return;
  }
  waiting.push(handler);
  queuedTotal++;
}

/**
 * Whether this turn's slice has time left (opening a slice when none is open). Work that loops (a
 * socket's queued frames) checks it between two steps, and when it says no, continues with inTurn.
 */
export function sliceHasTime(): boolean {
  const now = performance.now();
  if (sliceStart < 0) {
    sliceStart = now;
    setImmediate(nextSlice);
  }
  return now - sliceStart < TURN_BUDGET_MS;
}

/**
 * Runs waiting handlers for one slice. Called with setImmediate, so from the loop's check phase; a
 * setImmediate from there runs in the next turn, after timers and I/O.
 */
function nextSlice(): void {
  sliceStart = performance.now();
  step();
}

/** Starts the next waiting handler, then comes back (as a microtask) behind its continuations. */
function step(): void {
  if (waiting.length === 0) {
    sliceStart = -1;
    return;
  }
  if (performance.now() - sliceStart >= TURN_BUDGET_MS) {
    sliceStart = performance.now();
    setImmediate(nextSlice);
    return;
  }
  const handler = waiting.shift()!;
  try {
    handler();
  } catch (err) {
    // As if it had thrown when called directly, without stopping the handlers after it.
    process.nextTick(() => {
      throw err;
    });
  }
  queueMicrotask(step);
}

/** Handlers waiting now, and queued since start (for tests). */
export function turnQueue(): { waiting: number; queuedTotal: number } {
  return { waiting: waiting.length, queuedTotal };
}
