import express, { type Request, type RequestHandler, type Response } from 'express';
import { EngineCodes, MockError } from '../errors';
import { isJsonMediaType, mediaTypeOf } from './body';
import type { ApiEngine } from './pipeline';
import type { MockRequest, MockResponse } from './types';
import { SESSION_HEADER } from '../headers';

export { SESSION_HEADER } from '../headers';

/** Express middleware serving one API's engine: raw body in, MockResponse out, exchange journaled. */
export function apiHandler(engine: ApiEngine, bodyLimit: number, options: { journal?: boolean } = {}): RequestHandler {
  const journal = options.journal ?? true;
  const readBody = express.raw({ type: () => true, limit: bodyLimit });
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
    // Only operations that take a body read one; others leave it to Node to discard.
    if (route.kind !== 'operation' || !route.op.requestBody) {
      run();
      return;
    }
    readBody(req, res, (err?: unknown) => {
      if (err === undefined) {
        run();
        return;
      }
      const mockReq = toMockRequest(req);
      const error = mapBodyError(err) ?? new MockError(EngineCodes.invalidJson, 400, 'The request body could not be read');
      finish(mockReq, engine.fail(mockReq, error));
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

function mapBodyError(err: unknown): MockError | undefined {
  const type = (err as { type?: string })?.type;
  switch (type) {
    case 'entity.too.large': {
      const limit = (err as { limit?: number }).limit;
      return new MockError(EngineCodes.payloadTooLarge, 413, `The request body is larger than the limit of ${limit ?? '?'} bytes`);
    }
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new MockError(EngineCodes.unsupportedMediaType, 415, (err as Error).message);
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new MockError(EngineCodes.invalidJson, 400, 'The request body could not be read');
    default:
      return undefined;
  }
}
