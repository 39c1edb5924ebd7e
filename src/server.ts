import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type CreateAppDeps, type MockApp } from './app';
import type { ServerOptions } from './options';

export interface RunningServer extends MockApp {
  server: Server;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Stops accepting, lets in-flight requests finish, then closes idle connections. */
  close(): Promise<void>;
}

/** Builds the app and listens on the configured host and port (0 for a free port). */
export async function startServer(partial: Partial<ServerOptions> = {}, deps: CreateAppDeps = {}): Promise<RunningServer> {
  const mock = await createApp(partial, deps);
  const server = mock.app.listen(mock.options.port, mock.options.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  const { port } = server.address() as AddressInfo;
  const host = mock.options.host.includes(':') ? `[${mock.options.host}]` : mock.options.host;
  return {
    ...mock,
    server,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
