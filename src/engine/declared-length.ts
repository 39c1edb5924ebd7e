import type { IncomingMessage, ServerResponse } from 'node:http';
import { EngineCodes, MockError } from '../errors';

/**
 * A request whose Content-Length already exceeds the body limit is refused before one byte of its
 * body is read (reading it to the end first would let a client hold the server on a 100 GB upload).
 * The connection closes after the answer, so the rest of the body is never read either.
 */
export function declaredTooLarge(req: IncomingMessage, res: ServerResponse, limit: number): MockError | undefined {
  const declared = req.headers['content-length'];
  if (declared === undefined || !/^\d+$/.test(declared) || Number(declared) <= limit) return undefined;
  res.setHeader('connection', 'close');
  return new MockError(EngineCodes.payloadTooLarge, 413, `The request body is larger than the limit of ${limit} bytes`);
}
