import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import { createApp, type CreateAppDeps, type MockApp } from './app';
import { SESSION_HEADER } from './engine/http-adapter';
import { guardSocket, refuseUpgrade } from './engine/ws-guard';
import { limitSlowClients } from './slow-clients';
import { listenError, resolveHost } from './listen-errors';
import { DEFAULT_OPTIONS, type ServerOptions } from './options';
import { StateFile } from './state/persist';
import type { Logger } from './logger';
import { defaultTlsDir, localCertificate, readTlsFiles, type TlsMaterial } from './tls';
import { watchConfig } from './watch';

export interface RunningServer extends MockApp {
  server: Server;
  /** `http://127.0.0.1:<port>` (`https://` with TLS) */
  url: string;
  /** With https: the certificate served, where it is kept, its SHA-256 fingerprint, and whether it was made at this start. */
  tls?: { certFile: string; cert: string; fingerprint256: string; generated: boolean };
  /** The state file kept with --state-file, if any. */
  stateFile?: StateFile;
  /**
   * Stops accepting, closes WebSockets, lets in-flight requests finish (at most CLOSE_GRACE_MS),
   * closes idle connections, then saves the state file one last time.
   */
  close(): Promise<void>;
}

/** Frames larger than this close a WebSocket (1009) unless the endpoint sets its own limit. */
const DEFAULT_WS_MAX_PAYLOAD = 1024 * 1024;
/** The largest request head (request line and headers) accepted; larger ones get 431. Node's default, set explicitly. */
export const MAX_HEADER_BYTES = 16 * 1024;
/** How long close() waits for in-flight requests before it cuts the connections left. */
const CLOSE_GRACE_MS = 10_000;

/** The certificate to serve: the user's (tlsCert/tlsKey), the kept self-signed one, or none. */
async function tlsFor(options: ServerOptions): Promise<TlsMaterial | undefined> {
  if (options.tlsCert !== undefined && options.tlsKey !== undefined) return readTlsFiles(options.tlsCert, options.tlsKey);
  if (!options.https) return undefined;
  return localCertificate(options.tlsDir ?? defaultTlsDir());
}

/**
 * Listens on the configured host and port. On loopback (`127.0.0.1`, the default, or `localhost`)
 * the same port is also opened on `::1`, so that `localhost` reaches the mock whichever address a
 * client tries first (Chromium and many Node set-ups try `::1` before `127.0.0.1`). Connections
 * there go to the same server. No IPv6 on the machine: 127.0.0.1 alone. With port 0, a port taken
 * on `::1` makes it pick another.
 */
async function listenLoopback(server: Server, options: ServerOptions, logger: Logger): Promise<NetServer | undefined> {
  const both = options.host === '127.0.0.1' || options.host === 'localhost';
  const host = options.host === 'localhost' ? '127.0.0.1' : options.host;
  for (let attempt = 1; ; attempt++) {
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => reject(err);
      server.once('error', fail);
      server.listen(options.port, host, () => {
        server.off('error', fail);
        resolve();
      });
    });
    if (!both) return undefined;
    const { port } = server.address() as AddressInfo;
    const v6 = createNetServer((socket) => server.emit('connection', socket));
    // The same cap as the main listener (each listener counts its own connections).
    v6.maxConnections = server.maxConnections;
    const outcome = await new Promise<'ok' | 'busy' | 'none'>((resolve) => {
      v6.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE' ? 'busy' : 'none'));
      v6.listen(port, '::1', () => resolve('ok'));
    });
    if (outcome === 'ok') {
      v6.on('error', (err) => logger.warn(`[::1]:${port}: ${err.message}`));
      return v6;
    }
    if (outcome === 'none') return undefined;
    if (options.port !== 0 || attempt >= 5) {
      logger.warn(`[::1]:${port} is taken by another program, so http://localhost:${port} may reach it instead of authdouble; use 127.0.0.1`);
      return undefined;
    }
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export interface ServeDeps extends CreateAppDeps {
  /**
   * Serve through the Express app (`createApp().app`) instead of handing node's request straight
   * to the handler: the test suites run both ways, so that the two cannot drift apart.
   */
  viaExpress?: boolean;
}

/** Builds the app and listens on the configured host and port (0 for a free port). */
export async function startServer(partial: Partial<ServerOptions> = {}, deps: ServeDeps = {}): Promise<RunningServer> {
  await resolveHost(partial.host ?? DEFAULT_OPTIONS.host, partial.port ?? DEFAULT_OPTIONS.port);
  const mock = await createApp(partial, deps);
  // Before listening: no request may see the state before it is restored. A bad file stops here.
  const stateFile = mock.options.stateFile
    ? StateFile.open(mock.options.stateFile, mock.sessions, mock.logger, {
        intervalMs: mock.options.stateSaveIntervalMs,
        keys: mock.keys,
      })
    : undefined;
  let tls: TlsMaterial | undefined;
  try {
    tls = await tlsFor(mock.options);
  } catch (err) {
    stateFile?.stop();
    await mock.state.close();
    throw err;
  }
  const server: Server = tls
    ? (createHttpsServer({ maxHeaderSize: MAX_HEADER_BYTES, cert: tls.cert, key: tls.key }) as unknown as Server)
    : createServer({ maxHeaderSize: MAX_HEADER_BYTES });
  let closing = false;
  const handler = deps.viaExpress ? mock.app : mock.handler;
  // One listener (an event with two copies its listener array on every request).
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    // Once closing, every answer ends its connection, so keep-alive clients cannot hold shutdown open.
    if (closing) res.setHeader('connection', 'close');
    handler(req, res);
  });
  limitSlowClients(server, mock.options);
  let loopback6: NetServer | undefined;
  try {
    loopback6 = await listenLoopback(server, mock.options, mock.logger);
  } catch (err) {
    stateFile?.stop();
    await mock.state.close();
    throw listenError(err, mock.options.host, mock.options.port);
  }
  const closeWebSockets = serveWebSockets(server, mock);
  const stopWatching = mock.options.watch ? watchConfig(mock) : undefined;
  const { port } = server.address() as AddressInfo;
  const host = mock.options.host.includes(':') ? `[${mock.options.host}]` : mock.options.host;
  let closed: Promise<void> | undefined;
  // Onto the app itself, not a copy: a copy would read (and so build) its lazy Express app.
  return Object.assign(mock, {
    server,
    stateFile,
    tls: tls && { certFile: tls.certFile, cert: tls.cert, fingerprint256: tls.fingerprint256, generated: tls.generated },
    url: `${tls ? 'https' : 'http'}://${host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host}:${port}`,
    close: () =>
      (closed ??= (async () => {
        closing = true;
        stopWatching?.();
        await new Promise<void>((resolve) => {
          // Connections whose in-flight request has finished go as soon as they are idle.
          const sweep = setInterval(() => server.closeIdleConnections(), 50);
          const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
          server.close(() => {
            clearInterval(sweep);
            clearTimeout(cut);
            resolve();
          });
          loopback6?.close();
          closeWebSockets();
          server.closeIdleConnections();
        });
        try {
          await stateFile?.close();
        } finally {
          await mock.state.close();
        }
      })()),
  });
}

/**
 * Routes HTTP upgrades to the APIs that have a WebSocket endpoint, by mount prefix and path; any
 * other upgrade gets a plain 404. Returns a function that closes every WebSocket.
 */
function serveWebSockets(server: Server, mock: MockApp): () => void {
  const endpoints = [...mock.engines]
    .filter(([, engine]) => engine.runtime.websocket)
    .map(([id, engine]) => {
      const endpoint = engine.runtime.websocket!;
      let wss: WebSocketServer | undefined;
      // ws is loaded at the first WebSocket upgrade, not at start-up.
      const server = (): WebSocketServer => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand
        const { WebSocketServer: Wss } = require('ws') as { WebSocketServer: typeof WebSocketServer };
        return (wss ??= new Wss({ noServer: true, maxPayload: endpoint.maxPayload ?? DEFAULT_WS_MAX_PAYLOAD }));
      };
      return { id, engine, endpoint, server, opened: () => wss, url: trimSlash(`${mock.prefixes.get(id) ?? ''}${endpoint.path}`) };
    });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (refuseUpgrade(req, socket)) return;
    const pathname = trimSlash((req.url ?? '/').split('?')[0] ?? '/');
    const target = endpoints.find((e) => e.url === pathname);
    const origin = req.headers.origin;
    // Only a restricted CORS policy restricts WebSockets; a client without Origin is no browser.
    if (target && mock.options.cors && mock.options.corsOrigins.length > 0 && origin !== undefined && !mock.options.corsOrigins.includes(origin)) {
      const body = `Origin ${origin} may not open a WebSocket here; allowed: ${mock.options.corsOrigins.join(', ')}\n`;
      socket.end(
        `HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      socket.destroy();
      return;
    }
    if (!target) {
      const body = `Nothing is served at ${pathname} over WebSocket\n`;
      socket.end(
        `HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      socket.destroy();
      return;
    }
    target.server().handleUpgrade(req, socket, head, (ws) => {
      // Without a listener, a protocol error (an oversized frame, say) would throw in the process.
      ws.on('error', (err) => mock.logger.warn(`${target.id}: WebSocket error: ${err.message}`));
      guardSocket(ws);
      const header = req.headers[SESSION_HEADER];
      const session = typeof header === 'string' && header !== '' ? header : undefined;
      try {
        target.endpoint.onConnection(ws, (fn) => target.engine.run(session, fn), req);
      } catch (err) {
        mock.logger.error(`${target.id}: WebSocket endpoint failed: ${(err as Error)?.stack ?? String(err)}`);
        ws.close(1011, 'internal error');
      }
    });
  });

  return () => {
    for (const { opened } of endpoints) {
      const wss = opened();
      if (!wss) continue;
      for (const client of wss.clients) client.terminate();
      wss.close();
    }
  };
}

/** `/sama/` → `/sama`; `` → `/`. */
function trimSlash(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}
