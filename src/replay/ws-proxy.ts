/**
 * The recorder's WebSocket side: an upgrade sent to the proxy is opened against the real service
 * first (so that its refusal reaches the client as it was), then every frame is relayed both ways
 * unchanged and recorded as Chromium's dev tools export it, `_webSocketMessages` on the upgrade
 * request's entry. Answers are checked against the API's AsyncAPI document as they come.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { parseCookieHeader } from './cookies';
import type { HarEntry, HarNameValue, HarWebSocketMessage } from './har';
import { parseJson } from './json-walk';
import { frameId, requestTypeOf, type WsSpec } from './ws-spec';

/** Where the recorder keeps one socket's entry: frames go into what `add` returned. */
export interface WsSink {
  add(entry: HarEntry): WsRecord;
}

export interface WsRecord {
  message(message: HarWebSocketMessage): void;
  /** An answer that breaks the AsyncAPI document: counted and written into the entry's comment. */
  violation(text: string): void;
  /** The socket closed: the entry's time is final. */
  done(elapsedMs: number): void;
}

export interface WsProxyOptions {
  target: URL;
  basePath: string;
  timeoutMs: number;
  /** The API's AsyncAPI document, when it has one. */
  spec?: WsSpec;
  now(): Date;
  log(line: string): void;
  sink: WsSink;
  /** Request headers not forwarded (they belong to one connection). */
  hopByHop: ReadonlySet<string>;
}

export interface WsProxy {
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes every socket still open (the recorder is stopping). */
  closeAll(): void;
}

/** Close codes a peer may send on (1005, 1006 and 1015 only describe what happened). */
function sendableCode(code: number): number | undefined {
  return (code >= 1000 && code <= 1014 && ![1004, 1005, 1006].includes(code)) || (code >= 3000 && code <= 4999) ? code : undefined;
}

export function createWsProxy(options: WsProxyOptions): WsProxy {
  const open = new Set<WebSocket>();

  function handle(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const started = options.now();
    const t0 = performance.now();
    const pathAndQuery = req.url ?? '/';
    const wsOrigin = options.target.origin.replace(/^http/, 'ws');
    const url = new URL(`${wsOrigin}${options.basePath}${pathAndQuery}`);
    const protocols = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');
    const upstream = new WebSocket(url, protocols, {
      headers: forwardHeaders(req.headers, options.target.host, options.hopByHop),
      handshakeTimeout: options.timeoutMs,
      perMessageDeflate: false,
    });
    let responseHeaders: HarNameValue[] = [];
    upstream.on('upgrade', (res) => (responseHeaders = pairs(res.rawHeaders)));
    upstream.on('unexpected-response', (_request, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const headers = pairs(res.rawHeaders).filter((h) => !['connection', 'transfer-encoding', 'content-length'].includes(h.name.toLowerCase()));
        socket.write(
          `HTTP/1.1 ${res.statusCode ?? 502} ${res.statusMessage ?? ''}\r\n${headers.map((h) => `${h.name}: ${h.value}\r\n`).join('')}content-length: ${body.length}\r\nconnection: close\r\n\r\n`,
        );
        socket.end(body);
        const text = body.toString('utf8');
        const entry = upgradeEntry(req, url, started, { status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: pairs(res.rawHeaders), text });
        options.sink.add(entry).done(performance.now() - t0);
        options.log(`GET ${pathAndQuery} -> ${res.statusCode} WebSocket refused`);
      });
    });
    let upgraded = false;
    upstream.on('error', (err) => {
      if (upgraded) return;
      options.log(`GET ${pathAndQuery}: the service did not open the WebSocket: ${err.message}`);
      if (!socket.destroyed) {
        const body = `authdouble record: ${url.origin} did not open the WebSocket: ${err.message}`;
        socket.end(`HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      }
    });
    // A client that leaves before the service answered takes the service's socket with it.
    socket.once('close', () => {
      if (!upgraded) upstream.terminate();
    });
    upstream.on('open', () => {
      upgraded = true;
      if (socket.destroyed) {
        upstream.terminate();
        return;
      }
      const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: () => upstream.protocol || false });
      const early: Array<[RawData, boolean]> = [];
      const queue = (data: RawData, binary: boolean) => early.push([data, binary]);
      upstream.on('message', queue);
      wss.handleUpgrade(req, socket, head, (client) => {
        wss.close();
        open.add(client).add(upstream);
        const record = options.sink.add(
          upgradeEntry(req, url, started, { status: 101, statusText: 'Switching Protocols', headers: responseHeaders, text: '' }),
        );
        options.log(`GET ${pathAndQuery} -> 101 WebSocket open`);
        const sentTypes = new Map<string | number, string>();
        let lastType: string | undefined;
        const frame = (type: 'send' | 'receive', data: RawData, binary: boolean): void => {
          const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
          const text = binary ? buffer.toString('base64') : buffer.toString('utf8');
          record.message({ type, time: options.now().getTime() / 1000, opcode: binary ? 2 : 1, data: text });
          if (binary) return;
          const json = parseJson(text);
          if (!json.ok) return;
          if (type === 'send') {
            lastType = requestTypeOf(json.value);
            const id = frameId(json.value);
            if (id !== undefined && lastType !== undefined) sentTypes.set(id, lastType);
            return;
          }
          const id = frameId(json.value);
          const answered = (id === undefined ? undefined : sentTypes.get(id)) ?? lastType;
          const check = options.spec?.checkAnswer(answered, json.value);
          if (!check?.operation) return;
          if (check.problems.length === 0) options.log(`WS ${answered} -> ok`);
          else {
            const text = `asyncapi (${check.operation}): ${check.problems.join('; ')}`;
            record.violation(text);
            options.log(`WS ${answered} -> SPEC VIOLATION: ${check.problems.join('; ')}`);
          }
        };
        const relay = (to: WebSocket, type: 'send' | 'receive') => (data: RawData, binary: boolean) => {
          frame(type, data, binary);
          if (to.readyState === WebSocket.OPEN) to.send(data, { binary });
        };
        upstream.off('message', queue);
        upstream.on('message', relay(client, 'receive'));
        client.on('message', relay(upstream, 'send'));
        for (const [data, binary] of early.splice(0)) relay(client, 'receive')(data, binary);
        let finished = false;
        const finish = () => {
          if (finished) return;
          finished = true;
          open.delete(client);
          open.delete(upstream);
          record.done(performance.now() - t0);
        };
        client.on('close', (code, reason) => {
          const c = sendableCode(code);
          if (upstream.readyState === WebSocket.OPEN) upstream.close(c, c === undefined ? undefined : reason);
          finish();
        });
        upstream.on('close', (code, reason) => {
          const c = sendableCode(code);
          if (client.readyState === WebSocket.OPEN) client.close(c, c === undefined ? undefined : reason);
          finish();
        });
        client.on('error', () => upstream.terminate());
        upstream.on('error', () => client.terminate());
      });
    });
  }

  return {
    handle,
    closeAll() {
      for (const ws of open) ws.terminate();
      open.clear();
    },
  };
}

function forwardHeaders(headers: IncomingHttpHeaders, host: string, hopByHop: ReadonlySet<string>): Record<string, string> {
  const out: Record<string, string> = { host };
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || hopByHop.has(name) || name.startsWith('sec-websocket-')) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function pairs(raw: string[]): HarNameValue[] {
  const out: HarNameValue[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push({ name: raw[i]!, value: raw[i + 1]! });
  return out;
}

/** The upgrade request's entry, as Chromium exports it (`ws://` URL, resource type `websocket`). */
function upgradeEntry(
  req: IncomingMessage,
  url: URL,
  started: Date,
  response: { status: number; statusText: string; headers: HarNameValue[]; text: string },
): HarEntry {
  const headers = pairs(req.rawHeaders).map((h) => (h.name.toLowerCase() === 'host' ? { name: h.name, value: url.host } : h));
  const cookie = headers.find((h) => h.name.toLowerCase() === 'cookie')?.value;
  const contentType = response.headers.find((h) => h.name.toLowerCase() === 'content-type')?.value ?? '';
  return {
    startedDateTime: started.toISOString(),
    time: 0,
    request: {
      method: 'GET',
      url: url.toString(),
      httpVersion: `HTTP/${req.httpVersion}`,
      cookies: cookie ? parseCookieHeader(cookie) : [],
      headers,
      queryString: [...url.searchParams].map(([name, value]) => ({ name, value })),
      headersSize: -1,
      bodySize: 0,
    },
    response: {
      status: response.status,
      statusText: response.statusText,
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: response.headers,
      content: { size: Buffer.byteLength(response.text), mimeType: contentType || 'x-unknown', ...(response.text === '' ? {} : { text: response.text }) },
      redirectURL: '',
      headersSize: -1,
      bodySize: Buffer.byteLength(response.text),
    },
    cache: {},
    timings: { send: 0, wait: 0, receive: 0 },
    _resourceType: 'websocket',
    ...(response.status === 101 ? { _webSocketMessages: [] } : {}),
  };
}
