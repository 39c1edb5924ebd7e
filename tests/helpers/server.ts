import request from 'supertest';
import { startServer, type RunningServer } from '../../src/server';
import type { ServerOptions } from '../../src/options';

export interface TestServer extends RunningServer {
  /** supertest bound to an API's base URL, e.g. `api('b2core').post('/api/v2/signin')`. */
  api(id: string): request.Agent;
}

/** A real server on 127.0.0.1 and a free port, strict and silent, as every test wants it. */
export async function startTestServer(options: Partial<ServerOptions> = {}): Promise<TestServer> {
  const running = await startServer({ port: 0, host: '127.0.0.1', strict: true, logLevel: 'silent', ...options });
  return {
    ...running,
    api: (id) => request.agent(`${running.url}${running.prefixes.get(id) ?? ''}`),
  };
}
