/**
 * authdouble as a library. For tests: `startMock()` runs the mock in-process on a free port and
 * returns its URLs and a typed control client.
 */
import { ControlClient } from './control/client';
import type { ServerOptions } from './options';
import { startServer, type RunningServer } from './server';

export interface MockOptions extends Partial<ServerOptions> {
  /** The state session the control client acts on (default: `default`). */
  session?: string;
}

export interface StartedMock {
  /** The server's origin, e.g. `http://127.0.0.1:53211`. */
  url: string;
  /** Each API's base URL, e.g. `urls.b2core` = `http://127.0.0.1:53211/b2core`. */
  urls: Record<string, string>;
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
export async function startMock(options: MockOptions = {}): Promise<StartedMock> {
  const { session, ...serverOptions } = options;
  const server = await startServer({ port: 0, host: '127.0.0.1', logLevel: 'silent', strict: true, ...serverOptions });
  const urls = Object.fromEntries([...server.prefixes].map(([id, prefix]) => [id, `${server.url}${prefix}`]));
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
export { MockError, StartupError } from './errors';
export type { ApiModule, ApiRuntime, Behaviour, MockRequest, MockResponse, OperationRequest, RequestContext } from './engine/types';
export type { OutboxMessage } from './state/outbox';
export type { JournalEntry } from './state/journal';
export type { Fault, FaultSpec } from './state/faults';
