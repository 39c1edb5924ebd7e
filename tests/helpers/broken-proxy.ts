import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

/** A request as the proxy received it. `url` is the path and query string. */
export interface ProxyRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** An answer, from upstream or made up by a defect. */
export interface ProxyResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/**
 * One defect of a broken implementation: it sees every request and decides what the client gets,
 * forwarding to the real server (with the request as it is, or changed) or not.
 */
export type Defect = (req: ProxyRequest, forward: (changed?: ProxyRequest) => Promise<ProxyResponse>) => Promise<ProxyResponse>;

export interface BrokenProxy {
  /** `http://127.0.0.1:<port>`: the same paths as upstream, /__admin and WebSockets included. */
  url: string;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of a real server (our mock) that rewrites exchanges as `defect` says, so
 * that tests can build broken implementations of an API. Without a defect it is transparent.
 * WebSocket upgrades are piped through untouched, unless `answers` is given: then each text frame
 * the server sends is replaced by what `answers` returns for it.
 */
export async function startBrokenProxy(
  upstream: string,
  defect: Defect = (req, forward) => forward(req),
  answers?: (frame: string) => string,
): Promise<BrokenProxy> {
  const target = new URL(upstream);
  const sockets = new Set<Socket>();

  const forward = (req: ProxyRequest): Promise<ProxyResponse> =>
    new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: target.host, 'content-length': String(req.body.length) };
      delete headers['transfer-encoding'];
      const out = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const copied: Record<string, string | string[]> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) copied[k] = v;
          resolve({ status: res.statusCode ?? 502, headers: copied, body: Buffer.concat(chunks) });
        });
        res.on('error', reject);
      });
      out.on('error', reject);
      out.end(req.body);
    });

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const incoming: ProxyRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) };
      defect(incoming, (changed) => forward(changed ?? incoming)).then(
        (answer) => {
          const headers = { ...answer.headers };
          delete headers['content-length'];
          delete headers['transfer-encoding'];
          headers['content-length'] = String(answer.body.length);
          res.writeHead(answer.status, headers);
          res.end(answer.body);
        },
        (err: Error) => {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(`broken proxy: ${err.message}`);
        },
      );
    });
  });

  const wss = new WebSocketServer({ noServer: true });
  const rewritten = new Set<WebSocket>();
  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    if (answers) {
      const up = new WebSocket(`ws://${target.host}${req.url ?? '/'}`, { headers: { ...(req.headers['x-authdouble-session'] ? { 'x-authdouble-session': String(req.headers['x-authdouble-session']) } : {}) } });
      up.on('error', () => socket.destroy());
      up.on('open', () =>
        wss.handleUpgrade(req, socket, head, (client) => {
          rewritten.add(client).add(up);
          up.on('message', (data, binary) => client.send(binary ? data : answers(data.toString()), { binary }));
          client.on('message', (data, binary) => up.send(data, { binary }));
          client.on('close', () => up.close());
          up.on('close', () => client.close());
        }),
      );
      return;
    }
    const up = connect(Number(target.port), target.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      up.write(head);
      socket.pipe(up).pipe(socket);
    });
    sockets.add(socket).add(up);
    const end = () => {
      socket.destroy();
      up.destroy();
    };
    socket.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      for (const ws of rewritten) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The body of an answer or a request as JSON (undefined when it is not). */
export function jsonOf(message: ProxyResponse | ProxyRequest): any {
  try {
    return JSON.parse(message.body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The same answer with another JSON body. */
export function withJson(res: ProxyResponse, body: unknown): ProxyResponse {
  return { ...res, body: Buffer.from(JSON.stringify(body)) };
}

/** A request with another JSON body. */
export function withJsonBody(req: ProxyRequest, body: unknown): ProxyRequest {
  return { ...req, body: Buffer.from(JSON.stringify(body)) };
}
