import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { isJsonMediaType, mediaTypeOf } from './body';
import type { ApiEngine } from './pipeline';
import { declaredTooLarge } from './declared-length';
import { readBody } from './read-body';
import { inTurn } from './turns';
import type { MockRequest, MockResponse } from './types';
import { SESSION_HEADER } from '../headers';

export { SESSION_HEADER } from '../headers';

/** A request handler on node's own request and response: what node:http calls, and Express can mount. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * An API's handler: a NodeHandler that may also be given headers to send with its answer (the
 * dispatcher's CORS headers), written in the same writeHead as the answer's own.
 */
export type ApiHandler = (req: IncomingMessage, res: ServerResponse, headers?: Readonly<Record<string, string>>) => void;

/**
 * Serves one API's engine on node's request and response, with no framework: the path and query
 * from `req.url` (relative to the API's mount point), the body read only when the operation
 * takes one (up to `bodyLimit`), a MockResponse out, and the exchange journaled.
 */
export function apiHandler(engine: ApiEngine, bodyLimit: number, options: { journal?: boolean } = {}): NodeHandler {
  const handler = apiHandlerWithHeaders(engine, bodyLimit, options);
  // Two parameters: Express, say, would pass its `next` as a third.
  return (req, res) => handler(req, res);
}

/** apiHandler whose answers also carry the headers it is given (the dispatcher's CORS headers). */
export function apiHandlerWithHeaders(engine: ApiEngine, bodyLimit: number, options: { journal?: boolean } = {}): ApiHandler {
  const journal = options.journal ?? true;
  return (req, res, headers) => {
    const startedAt = Date.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    const route = engine.match(method, path);
    const mockReq = toMockRequest(req, method, path, q === -1 ? '' : url.slice(q + 1));
    const finish = (response: MockResponse): void => {
      const payload = send(res, response, headers);
      if (journal) engine.record(mockReq, route, response, payload, startedAt);
    };
    // handle() never rejects; this is a last line of defence that still answers.
    const failed = (): void => finish({ status: 500, body: 'internal error', contentType: 'text/plain' });
    // In a slice of the event loop (src/engine/turns.ts): a burst of requests does not stall it.
    const run = (): void => {
      void engine.handle(mockReq, route).then(finish, failed);
    };
    // Only operations that take a body read one; others never read it (an oversized one closes the connection).
    const takesBody = route.kind === 'operation' && route.op.requestBody !== undefined;
    const oversized = declaredTooLarge(req, res, bodyLimit);
    if (oversized && takesBody) {
      finish(engine.fail(mockReq, oversized));
      return;
    }
    if (!takesBody) {
      inTurn(run);
      return;
    }
    readBody(req, res, bodyLimit, (error, body) => {
      mockReq.body = body;
      if (error) finish(engine.fail(mockReq, error));
      else inTurn(run);
    });
  };
}

const NO_QUERY: MockRequest['query'] = Object.freeze(Object.create(null) as MockRequest['query']);

function toMockRequest(req: IncomingMessage, method: string, path: string, search: string): MockRequest {
  const session = req.headers[SESSION_HEADER];
  return {
    method,
    path,
    // As Express 5's default ("simple") query parser: node's querystring.
    query: search === '' ? NO_QUERY : (parseQuery(search) as MockRequest['query']),
    headers: req.headers,
    body: undefined,
    ip: req.socket.remoteAddress ?? '',
    session: typeof session === 'string' && session !== '' ? session : undefined,
  };
}

/**
 * Writes a MockResponse (or drops the connection when it says so), with `extra` headers first
 * (the answer's own win); returns the body sent.
 */
export function send(res: ServerResponse, response: MockResponse, extra?: Readonly<Record<string, string>>): string | undefined {
  if (res.headersSent) return undefined;
  if (response.drop) {
    res.socket?.destroy();
    return undefined;
  }
  const headers: Record<string, string | string[]> = extra ? { ...extra, ...response.headers } : { ...response.headers };
  let payload: string | undefined;
  if (response.body !== undefined) {
    const type = contentTypeOf(response.contentType ?? 'application/json');
    payload = typeof response.body === 'string' && !type.json ? response.body : JSON.stringify(response.body);
    headers['content-type'] = type.header;
    headers['content-length'] = String(Buffer.byteLength(payload));
  } else if (response.status !== 204 && response.status !== 304) {
    headers['content-length'] = '0';
  }
  res.writeHead(response.status, headers);
  res.end(payload);
  return payload;
}

interface ContentType {
  /** The Content-Type header sent: the type with a charset. */
  header: string;
  /** Whether a string body is sent as JSON (stringified). */
  json: boolean;
}

/** The few content types an API answers with, worked out once each (a bounded cache). */
const contentTypes = new Map<string, ContentType>();

function contentTypeOf(type: string): ContentType {
  let known = contentTypes.get(type);
  if (known === undefined) {
    known = { header: type.includes('charset') ? type : `${type}; charset=utf-8`, json: isJsonMediaType(mediaTypeOf(type)) };
    if (contentTypes.size < 64) contentTypes.set(type, known);
  }
  return known;
}
