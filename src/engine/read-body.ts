import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { EngineCodes, MockError } from '../errors';

/**
 * Reads a request body up to `limit` bytes (after decompression, and before it), as a Buffer.
 * Unlike body-parser, it answers as soon as the limit is passed instead of reading the rest of the
 * upload first: it stops reading, and the connection closes after the 413, so a client streaming
 * an endless chunked body is cut at once.
 */
export function readBody(req: IncomingMessage, res: ServerResponse, limit: number, done: (err: MockError | undefined, body?: Buffer) => void): void {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  let source: Readable = req;
  if (encoding === 'gzip' || encoding === 'x-gzip') source = req.pipe(createGunzip());
  else if (encoding === 'deflate') source = req.pipe(createInflate());
  else if (encoding === 'br') source = req.pipe(createBrotliDecompress());
  else if (encoding !== 'identity') {
    stop(req, res);
    done(new MockError(EngineCodes.unsupportedMediaType, 415, `unsupported content encoding "${encoding}"`));
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let raw = 0;
  let finished = false;
  const finish = (err: MockError | undefined, body?: Buffer): void => {
    if (finished) return;
    finished = true;
    if (err) {
      if (source !== req) req.unpipe();
      source.removeAllListeners('data');
      stop(req, res);
      if (source !== req) source.destroy();
    }
    done(err, body);
  };
  const tooLarge = () => new MockError(EngineCodes.payloadTooLarge, 413, `The request body is larger than the limit of ${limit} bytes`);
  if (source !== req) {
    req.on('data', (chunk: Buffer) => {
      raw += chunk.length;
      if (raw > limit) finish(tooLarge());
    });
  }
  source.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit) {
      finish(tooLarge());
      return;
    }
    chunks.push(chunk);
  });
  source.on('end', () => finish(undefined, Buffer.concat(chunks, size)));
  const unreadable = () => finish(new MockError(EngineCodes.invalidJson, 400, 'The request body could not be read'));
  source.on('error', unreadable);
  if (source !== req) req.on('error', unreadable);
  req.on('aborted', unreadable);
}

/** Reads no more of this request: the answer ends the connection. */
function stop(req: IncomingMessage, res: ServerResponse): void {
  req.pause();
  if (!res.headersSent) res.setHeader('connection', 'close');
}
