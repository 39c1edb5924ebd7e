import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { SESSION_HEADER } from '../headers';
import { MAX_SESSION_NAME } from './pipeline';
import { inTurn, sliceHasTime } from './turns';

/**
 * Checks an upgrade before anything is created for it: a session name over the bound gets the same
 * 400 an HTTP request gets, written on the raw socket. Returns true when the upgrade was refused.
 */
export function refuseUpgrade(req: IncomingMessage, socket: Duplex): boolean {
  const session = req.headers[SESSION_HEADER];
  if (typeof session !== 'string' || session.length <= MAX_SESSION_NAME) return false;
  const body = JSON.stringify({
    type: 'about:blank',
    title: 'Bad session name',
    status: 400,
    detail: `${SESSION_HEADER} must be at most ${MAX_SESSION_NAME} characters`,
  });
  socket.end(
    `HTTP/1.1 400 Bad Request\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  socket.destroy();
  return true;
}

/** Limits one WebSocket client gets, whatever endpoint it talks to. */
export interface SocketLimits {
  /** Past this many bytes queued for the client (it does not read), its frames are not read either. */
  maxBufferedBytes: number;
  /** A client whose queue stays over the bound this long is cut (it has stopped reading). */
  stalledMs: number;
  /** At most this many frames a second are read from one client; the rest wait for the next second. */
  maxFramesPerSecond: number;
}

export const DEFAULT_SOCKET_LIMITS: SocketLimits = { maxBufferedBytes: 1024 * 1024, stalledMs: 30_000, maxFramesPerSecond: 1000 };

/**
 * Back-pressure and a frame-rate cap for one WebSocket, applied by the server before any endpoint
 * sees the socket: a client that sends but does not read stops being read once its answers queue
 * past `maxBufferedBytes` (and is cut, close code 1008 or a reset, if it stays that way), and a
 * client sending faster than `maxFramesPerSecond` is read at that rate, so it cannot starve HTTP.
 *
 * Frames reach the endpoint through this gate: pausing the socket alone would not do, since the
 * frames of a chunk already received are parsed at once. Held frames wait in a queue bounded by
 * what one read brings (the socket is paused meanwhile). The timing is the server's plumbing, not
 * behaviour: it uses the process clock.
 */
export function guardSocket(ws: WebSocket, limits: SocketLimits = DEFAULT_SOCKET_LIMITS): void {
  const raw = (ws as unknown as { _socket?: Socket })._socket;
  const emit = ws.emit.bind(ws) as (event: string, ...args: unknown[]) => boolean;
  const held: unknown[][] = [];
  let windowStart = performance.now();
  let frames = 0;
  let throttled: NodeJS.Timeout | undefined;
  let waitingForDrain = false;
  let stalled: NodeJS.Timeout | undefined;

  /** A pump is due: as a microtask (behind the last frame's answer) or in a later slice. */
  let pumpDue = false;

  const blocked = (): boolean => throttled !== undefined || waitingForDrain;
  /**
   * Hands the next held frame to the endpoint, within the rate and the back-pressure bound, then
   * comes back as a microtask, behind what that frame's answer set going (answers are asynchronous):
   * frames run in slices of the event loop (src/engine/turns.ts), as requests do, so a client's
   * second of frames (up to maxFramesPerSecond at once) does not stall the loop.
   */
  const pump = (): void => {
    pumpDue = false;
    if (held.length > 0 && !blocked() && ws.readyState === ws.OPEN) {
      const now = performance.now();
      if (now - windowStart >= 1000) {
        windowStart = now;
        frames = 0;
      }
      if (frames >= limits.maxFramesPerSecond) {
        throttled = setTimeout(() => {
          throttled = undefined;
          kick();
        }, Math.max(1, 1000 - (now - windowStart)));
        throttled.unref();
      } else if (!sliceHasTime()) {
        pumpDue = true;
        inTurn(pump);
      } else {
        frames++;
        emit('message', ...held.shift()!);
        watchQueue();
        if (held.length > 0) {
          pumpDue = true;
          queueMicrotask(pump);
        }
      }
    }
    if (held.length > 0 || blocked()) ws.pause();
    else if (ws.isPaused && ws.readyState === ws.OPEN) ws.resume();
  };
  /** Pumps unless a pump is already due. */
  const kick = (): void => {
    if (!pumpDue) pump();
  };
  const watchQueue = (): void => {
    if (waitingForDrain || ws.bufferedAmount <= limits.maxBufferedBytes || !raw) return;
    waitingForDrain = true;
    ws.pause();
    stalled = setTimeout(() => {
      ws.close(1008, 'not reading');
      // It does not read, so it will not read the close frame either. The socket is destroyed with
      // an error rather than by ws.terminate(): each write still queued (thousands, up to the bound)
      // then fails with that one error, where a plain destroy builds an error, stack trace and all,
      // for each of them, which stalled the event loop for 40-50 ms in the soak.
      setTimeout(() => raw.destroy(new Error('WebSocket client cut: it stopped reading')), 1000).unref();
    }, limits.stalledMs);
    stalled.unref();
    raw.once('drain', () => {
      waitingForDrain = false;
      clearTimeout(stalled);
      kick();
    });
  };

  ws.emit = ((event: string, ...args: unknown[]): boolean => {
    if (event !== 'message') return emit(event, ...args);
    held.push(args);
    kick();
    return true;
  }) as typeof ws.emit;
  // Sends of the endpoint's own accord (answers that come later, pushes) count too.
  const send = ws.send.bind(ws) as (...args: unknown[]) => void;
  ws.send = ((...args: unknown[]) => {
    send(...args);
    watchQueue();
  }) as typeof ws.send;
  ws.on('close', () => {
    clearTimeout(throttled);
    clearTimeout(stalled);
    held.length = 0;
  });
}
