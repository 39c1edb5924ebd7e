/**
 * authdouble as a library. For tests: `startMock()` runs the mock in-process on a free port and
 * returns its URLs and a typed control client.
 */
import type { ApiId } from './api-ids';
import { ControlClient } from './control/client';
import type { ServerOptions } from './options';
import { startServer, type RunningServer } from './server';

export interface MockOptions<A extends string = ApiId> extends Omit<Partial<ServerOptions>, 'apis'> {
  /** APIs to serve, by id; all five when absent. `urls` then has exactly these keys. */
  apis?: readonly A[];
  /** The state session the control client acts on (default: `default`). */
  session?: string;
}

export interface StartedMock<A extends string = ApiId> {
  /** The server's origin, e.g. `http://127.0.0.1:53211`. */
  url: string;
  /**
   * Each served API's base URL, e.g. `urls.b2core` = `http://127.0.0.1:53211/b2core`: a `string` for
   * the APIs asked for (all five by default); any other name may be undefined.
   */
  urls: Record<A, string> & Partial<Record<string, string>>;
  /** Reset, clock, outbox, journal, faults, keys and tokens. */
  control: ControlClient;
  /** The running server, for what the control client does not cover. */
  server: RunningServer;
  close(): Promise<void>;
}

/**
 * Starts the mock on 127.0.0.1 and a free port, quiet and strict (a response that breaks its spec
 * fails loudly as a 500), unless told otherwise.
 */
export async function startMock<A extends string = ApiId>(options: MockOptions<A> = {}): Promise<StartedMock<A>> {
  const { session, apis, ...serverOptions } = options;
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    strict: true,
    ...serverOptions,
    ...(apis !== undefined ? { apis: [...apis] } : {}),
  });
  const urls = Object.fromEntries([...server.prefixes].map(([id, prefix]) => [id, `${server.url}${prefix}`])) as StartedMock<A>['urls'];
  return {
    url: server.url,
    urls,
    control: new ControlClient(server.url, { session, adminToken: serverOptions.adminToken, ca: server.tls?.cert }),
    server,
    close: () => server.close(),
  };
}

export { createApp, type MockApp } from './app';
export { startServer, type RunningServer } from './server';
export { ControlClient, ControlError, type ClockState, type TokenInfo, type RequestFilter } from './control/client';
export type { ServerOptions } from './options';
export { API_IDS, type ApiId } from './api-ids';
export { MockError, StartupError } from './errors';
export type { ApiModule, ApiRuntime, Behaviour, MockRequest, MockResponse, OperationRequest, RequestContext } from './engine/types';
export type { OutboxMessage } from './state/outbox';
export type { JournalEntry } from './state/journal';
export type { Fault, FaultSpec } from './state/faults';
