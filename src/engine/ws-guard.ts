import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { SESSION_HEADER } from '../headers';
import { MAX_SESSION_NAME } from './pipeline';

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
