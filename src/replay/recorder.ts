/**
 * `authdouble record`: an HTTP proxy on 127.0.0.1 that forwards every request to the real service,
 * checks each exchange against the API's spec (violations are reported live and written into the
 * entry's `comment`), and rewrites the HAR file after every exchange, so nothing is lost when the
 * process is stopped. WebSocket upgrades are proxied too (ws-proxy.ts): their frames, both ways, go
 * into the upgrade's entry as `_webSocketMessages`, and answers are checked against the AsyncAPI
 * document. Secrets are redacted in the file unless told otherwise; what the client and the service
 * see is never changed.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { SpecChecker } from '../engine/spec-checker';
import { parseCookieHeader, parseSetCookie } from './cookies';
import type { Har, HarEntry, HarNameValue } from './har';
import { newHar, writeHar } from './har-file';
import { Redactor } from './redact';
import { createWsProxy } from './ws-proxy';
import { hasWebSocket, WsSpec } from './ws-spec';

export interface RecorderOptions {
  /** The API whose spec checks the exchanges. */
  api: string;
  /** The real service's base URL: the spec's paths are appended to it. */
  target: string;
  /** The HAR file to write. */
  out: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Replace secrets by markers in the file (default true). */
  redact?: boolean;
  /** Where the specs are (default: the package's openapi/). */
  specDir?: string;
  /** Milliseconds to wait for the service (default 30 s). */
  timeoutMs?: number;
  /** Where the live lines go (default: nowhere). */
  log?: (line: string) => void;
  /** The wall clock stamped on entries. */
  now?: () => Date;
}

export interface Recorder {
  /** `http://127.0.0.1:<port>`: point the client here instead of at the service. */
  url: string;
  /** Exchanges recorded so far. */
  readonly entries: number;
  /** Exchanges whose response broke the spec. */
  readonly violations: number;
  /** Writes the file (it is written after each exchange anyway) and stops listening. */
  close(): Promise<void>;
}

/** Headers that belong to one connection, not to the exchange. */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'host', 'accept-encoding',
]);
const MAX_BODY = 10 * 1024 * 1024;

export async function startRecorder(options: RecorderOptions): Promise<Recorder> {
  const checker = SpecChecker.load(options.api, options.specDir);
  const target = new URL(options.target);
  const basePath = target.pathname.replace(/\/+$/, '');
  const redactor = options.redact === false ? undefined : new Redactor();
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => undefined);
  const har: Har = newHar({ api: options.api, baseUrl: `${target.origin}${basePath}`, redacted: redactor !== undefined });
  writeHar(options.out, har);
  let violations = 0;
  let closed = false;
  /** Rewrites the file, until close() wrote it the last time (sockets it ends still report). */
  const save = (): void => {
    if (!closed) writeHar(options.out, har);
  };

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      log(`${req.method} ${req.url}: ${(err as Error).message}`);
      if (!res.headersSent) reply(res, 502, `The recorder failed: ${(err as Error).message}`);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (body === undefined) return reply(res, 413, `The request body is over ${MAX_BODY} bytes`);
    const pathAndQuery = req.url ?? '/';
    const url = new URL(`${target.origin}${basePath}${pathAndQuery}`);
    const started = now();
    const t0 = performance.now();
    let upstream: Upstream;
    try {
      upstream = await forward(url, req.method ?? 'GET', forwardHeaders(req.headers, target.host), body, options.timeoutMs ?? 30_000);
    } catch (err) {
      log(`${req.method} ${pathAndQuery}: the service did not answer: ${(err as Error).message}`);
      return reply(res, 502, `authdouble record: ${url.origin} did not answer: ${(err as Error).message}`);
    }
    const elapsed = performance.now() - t0;
    res.writeHead(upstream.status, upstream.statusText, responseHeaders(upstream.rawHeaders, upstream.body.length));
    res.end(upstream.body);

    const text = decodedText(upstream);
    const contentType = single(upstream.headers['content-type']);
    const path = pathAndQuery.split('?')[0] ?? '/';
    const check = checker.check({ method: req.method ?? 'GET', path, status: upstream.status, contentType, body: text });
    const problems = check.problems.map((p) => `${p.path}: ${p.message}`);
    if (problems.length > 0) violations++;
    const comment = problems.length === 0 ? undefined : `spec${check.operationId ? ` (${check.operationId})` : ''}: ${problems.join('; ')}`;
    const entry = harEntry(req, url, body, upstream, text, started, elapsed, comment);
    har.log.entries.push(redactor ? redactor.redact(entry) : entry);
    writeHar(options.out, har);
    const op = check.operationId ?? 'not in the spec';
    log(`${req.method} ${path} -> ${upstream.status} ${op}${problems.length === 0 ? ': ok' : `: SPEC VIOLATION: ${problems.join('; ')}`}`);
  }

  const wsProxy = createWsProxy({
    target,
    basePath,
    timeoutMs: options.timeoutMs ?? 30_000,
    spec: hasWebSocket(options.api) ? WsSpec.load(options.api) : undefined,
    now,
    log,
    hopByHop: HOP_BY_HOP,
    sink: {
      add(entry) {
        // Redacted now, with the HTTP entries before it; its frames one by one as they come.
        const stored = redactor ? redactor.redact(entry) : entry;
        har.log.entries.push(stored);
        save();
        let broke = false;
        return {
          message(message) {
            stored._webSocketMessages?.push(redactor ? redactor.redactMessage(message) : message);
            save();
          },
          violation(text) {
            if (!broke) violations++;
            broke = true;
            // Schema paths and messages: no values of the frame, so nothing to redact.
            stored.comment = stored.comment === undefined ? text : `${stored.comment}; ${text}`;
            save();
          },
          done(elapsedMs) {
            stored.time = Math.round(elapsedMs * 1000) / 1000;
            save();
          },
        };
      },
    },
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => wsProxy.handle(req, socket, head));

  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    get entries() {
      return har.log.entries.length;
    },
    get violations() {
      return violations;
    },
    close: () =>
      new Promise<void>((resolve) => {
        wsProxy.closeAll();
        writeHar(options.out, har);
        closed = true;
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

interface Upstream {
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

function forward(url: URL, method: string, headers: Record<string, string | string[]>, body: Buffer, timeoutMs: number): Promise<Upstream> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(url, { method, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 502, statusText: res.statusMessage ?? '', headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body.length > 0 ? body : undefined);
  });
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('error', reject);
    req.on('end', () => resolve(size > MAX_BODY ? undefined : Buffer.concat(chunks)));
  });
}

function forwardHeaders(headers: IncomingHttpHeaders, host: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = { host };
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  return out;
}

function responseHeaders(raw: string[], length: number): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (HOP_BY_HOP.has(name.toLowerCase()) || name.toLowerCase() === 'content-length') continue;
    out.push([name, raw[i + 1]!]);
  }
  out.push(['content-length', String(length)]);
  return out;
}

function reply(res: ServerResponse, status: number, detail: string): void {
  const body = JSON.stringify({ type: 'about:blank', title: 'Recorder error', status, detail });
  res.writeHead(status, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The body as text, undoing a content encoding the service used anyway. */
function decodedText(upstream: Upstream): string {
  const encoding = single(upstream.headers['content-encoding'])?.toLowerCase();
  try {
    if (encoding === 'gzip') return gunzipSync(upstream.body).toString('utf8');
    if (encoding === 'deflate') return inflateSync(upstream.body).toString('utf8');
    if (encoding === 'br') return brotliDecompressSync(upstream.body).toString('utf8');
  } catch {
    // Not what it says it is: keep the bytes as they came.
  }
  return upstream.body.toString('utf8');
}

function pairs(raw: string[]): HarNameValue[] {
  const out: HarNameValue[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push({ name: raw[i]!, value: raw[i + 1]! });
  return out;
}

function harEntry(
  req: IncomingMessage,
  url: URL,
  body: Buffer,
  upstream: Upstream,
  text: string,
  started: Date,
  elapsed: number,
  comment: string | undefined,
): HarEntry {
  // As the service saw them: its own Host, no connection headers.
  const requestHeaders = pairs(req.rawHeaders)
    .filter((h) => !HOP_BY_HOP.has(h.name.toLowerCase()) || h.name.toLowerCase() === 'host')
    .map((h) => (h.name.toLowerCase() === 'host' ? { name: h.name, value: url.host } : h));
  const cookieHeader = requestHeaders.find((h) => h.name.toLowerCase() === 'cookie')?.value;
  const responseHeaderPairs = pairs(upstream.rawHeaders);
  const contentType = single(upstream.headers['content-type']) ?? '';
  const entry: HarEntry = {
    startedDateTime: started.toISOString(),
    time: Math.round(elapsed * 1000) / 1000,
    request: {
      method: req.method ?? 'GET',
      url: url.toString(),
      httpVersion: `HTTP/${req.httpVersion}`,
      cookies: cookieHeader ? parseCookieHeader(cookieHeader) : [],
      headers: requestHeaders,
      queryString: [...url.searchParams].map(([name, value]) => ({ name, value })),
      headersSize: -1,
      bodySize: body.length,
    },
    response: {
      status: upstream.status,
      statusText: upstream.statusText,
      httpVersion: 'HTTP/1.1',
      cookies: responseHeaderPairs
        .filter((h) => h.name.toLowerCase() === 'set-cookie')
        .map((h) => {
          const c = parseSetCookie(h.value);
          return { name: c.name, value: c.value };
        }),
      headers: responseHeaderPairs,
      content: { size: Buffer.byteLength(text), mimeType: contentType, text },
      redirectURL: single(upstream.headers.location) ?? '',
      headersSize: -1,
      bodySize: upstream.body.length,
    },
    cache: {},
    timings: { send: 0, wait: Math.round(elapsed * 1000) / 1000, receive: 0 },
  };
  if (body.length > 0) {
    entry.request.postData = { mimeType: single(req.headers['content-type']) ?? 'application/octet-stream', text: body.toString('utf8') };
  }
  if (comment !== undefined) entry.comment = comment;
  return entry;
}
