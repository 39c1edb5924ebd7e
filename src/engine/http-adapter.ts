import { type Request, type RequestHandler, type Response } from 'express';
import { isJsonMediaType, mediaTypeOf } from './body';
import { declaredTooLarge } from './declared-length';
import { readBody } from './read-body';
import type { ApiEngine } from './pipeline';
import type { MockRequest, MockResponse } from './types';
import { SESSION_HEADER } from '../headers';

export { SESSION_HEADER } from '../headers';

/** Express middleware serving one API's engine: raw body in, MockResponse out, exchange journaled. */
export function apiHandler(engine: ApiEngine, bodyLimit: number, options: { journal?: boolean } = {}): RequestHandler {
  const journal = options.journal ?? true;
  return (req, res) => {
    const startedAt = Date.now();
    const route = engine.match(req.method, req.path);
    const finish = (mockReq: MockRequest, response: MockResponse): void => {
      const payload = send(res, response);
      if (journal) engine.record(mockReq, route, response, payload, startedAt);
    };
    const run = (): void => {
      const mockReq = toMockRequest(req);
      engine.handle(mockReq, route).then(
        (response) => finish(mockReq, response),
        // handle() never rejects; this is a last line of defence that still answers.
        () => finish(mockReq, { status: 500, body: 'internal error', contentType: 'text/plain' }),
      );
    };
    // Only operations that take a body read one; others never read it (an oversized one closes the connection).
    const takesBody = route.kind === 'operation' && route.op.requestBody !== undefined;
    const oversized = declaredTooLarge(req, res, bodyLimit);
    if (oversized && takesBody) return finish(toMockRequest(req), engine.fail(toMockRequest(req), oversized));
    if (!takesBody) {
      run();
      return;
    }
    readBody(req, res, bodyLimit, (err, body) => {
      req.body = body;
      if (err === undefined) {
        run();
        return;
      }
      const mockReq = toMockRequest(req);
      finish(mockReq, engine.fail(mockReq, err));
    });
  };
}

export function toMockRequest(req: Request): MockRequest {
  const session = req.headers[SESSION_HEADER];
  return {
    method: req.method,
    path: req.path,
    query: req.query as MockRequest['query'],
    headers: req.headers,
    body: Buffer.isBuffer(req.body) ? req.body : undefined,
    ip: req.socket.remoteAddress ?? '',
    session: typeof session === 'string' && session !== '' ? session : undefined,
  };
}

/** Writes a MockResponse (or drops the connection when it says so); returns the body sent. */
export function send(res: Response, response: MockResponse): string | undefined {
  if (res.headersSent) return undefined;
  if (response.drop) {
    res.socket?.destroy();
    return undefined;
  }
  const headers: Record<string, string | string[]> = { ...response.headers };
  let payload: string | undefined;
  if (response.body !== undefined) {
    const type = response.contentType ?? 'application/json';
    payload =
      typeof response.body === 'string' && !isJsonMediaType(mediaTypeOf(type))
        ? response.body
        : JSON.stringify(response.body);
    headers['content-type'] = type.includes('charset') ? type : `${type}; charset=utf-8`;
    headers['content-length'] = String(Buffer.byteLength(payload));
  } else if (response.status !== 204 && response.status !== 304) {
    headers['content-length'] = '0';
  }
  res.writeHead(response.status, headers);
  res.end(payload);
  return payload;
}
