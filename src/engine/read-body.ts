import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { EngineCodes, MockError } from '../errors';

/**
 * Reads a request body into a Buffer, up to `limit` bytes (after decompression), as Express's
 * `express.raw()` does: undefined when the request has no body (no Content-Length and no
 * Transfer-Encoding); gzip, deflate and br bodies inflated; on any failure the rest of the body is
 * read off before `done` is called, so the answer can go out on a clean connection.
 */
export function readBody(req: IncomingMessage, limit: number, done: (error: MockError | undefined, body?: Buffer) => void): void {
  const lengthHeader = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (lengthHeader !== undefined && !Number.isNaN(Number(lengthHeader)));
  if (!hasBody) {
    done(undefined, undefined);
    return;
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  let stream: Readable = req;
  let length: number | undefined;
  if (encoding === 'identity') {
    length = lengthHeader === undefined ? undefined : Number(lengthHeader);
  } else {
    const inflate = decompressor(encoding);
    if (!inflate) {
      discard(req, () => done(new MockError(EngineCodes.unsupportedMediaType, 415, `unsupported content encoding "${encoding}"`)));
      return;
    }
    stream = inflate;
    req.pipe(inflate);
  }

  let finished = false;
  const fail = (error: MockError): void => {
    if (finished) return;
    finished = true;
    cleanup();
    if (stream !== req) {
      req.unpipe();
      stream.destroy();
    }
    discard(req, () => done(error));
  };
  if (length !== undefined && length > limit) {
    finished = true;
    discard(req, () => done(tooLarge(limit)));
    return;
  }

  const chunks: Buffer[] = [];
  let received = 0;
  const onData = (chunk: Buffer): void => {
    if (finished) return;
    received += chunk.length;
    if (received > limit) fail(tooLarge(limit));
    else chunks.push(chunk);
  };
  const onEnd = (): void => {
    if (finished) return;
    if (length !== undefined && received !== length) {
      fail(unreadable());
      return;
    }
    finished = true;
    cleanup();
    if (stream !== req) req.resume(); // anything left after the compressed stream ended
    done(undefined, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received));
  };
  const onError = (): void => fail(unreadable());
  const onAborted = (): void => fail(unreadable());
  const cleanup = (): void => {
    stream.off('data', onData);
    stream.off('end', onEnd);
    stream.off('error', onError);
    req.off('aborted', onAborted);
    req.off('close', onClose);
  };
  // A client that goes away before the body ended: nothing will be answered, but nothing leaks.
  const onClose = (): void => {
    if (!req.complete) fail(unreadable());
  };
  stream.on('data', onData);
  stream.on('end', onEnd);
  stream.on('error', onError);
  req.on('aborted', onAborted);
  req.on('close', onClose);
  if (stream !== req) req.on('error', onError);
}

function decompressor(encoding: string): zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | undefined {
  switch (encoding) {
    case 'gzip':
      return zlib.createGunzip();
    case 'deflate':
      return zlib.createInflate();
    case 'br':
      return zlib.createBrotliDecompress();
    default:
      return undefined;
  }
}

/** Reads off what is left of a request, then calls `then` (at once when nothing is left). */
function discard(req: IncomingMessage, then: () => void): void {
  if (req.complete || req.destroyed) {
    then();
    return;
  }
  let called = false;
  const once = (): void => {
    if (called) return;
    called = true;
    then();
  };
  req.once('end', once);
  req.once('close', once);
  req.once('error', once);
  req.resume();
}

function tooLarge(limit: number): MockError {
  return new MockError(EngineCodes.payloadTooLarge, 413, `The request body is larger than the limit of ${limit} bytes`);
}

function unreadable(): MockError {
  return new MockError(EngineCodes.invalidJson, 400, 'The request body could not be read');
}
