import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { StartupError } from '../../src/errors';
import { startServer, type RunningServer } from '../../src/server';
import type { ServerOptions } from '../../src/options';
import { startRedis } from './redis';
import { resetState, type SessionState } from '../../src/state/backend';

export interface TestServer extends RunningServer {
  /** supertest bound to an API's base URL, e.g. `api('b2core').post('/api/v2/signin')`. */
  api(id: string): request.Agent;
}

/**
 * The entry point this run serves through: node:http straight into the handler (the default), or
 * the Express app of createApp() with AUTHDOUBLE_TEST_ENTRY=express (`npm test` runs the integration
 * suites both ways, so the two cannot drift apart).
 */
export const TEST_ENTRY: 'node' | 'express' = process.env.AUTHDOUBLE_TEST_ENTRY === 'express' ? 'express' : 'node';

/**
 * The store this run keeps state in: memory (the default), or, with AUTHDOUBLE_TEST_STORE=redis, a
 * redis-server of each test server's own (`npm test` runs the integration suites both ways).
 */
export const TEST_STORE: 'memory' | 'redis' = process.env.AUTHDOUBLE_TEST_STORE === 'redis' ? 'redis' : 'memory';

/** A real server on 127.0.0.1 and a free port, strict and silent, as every test wants it. */
export async function startTestServer(options: Partial<ServerOptions> = {}): Promise<TestServer> {
  // A test that names its store, or keeps a state file or a keys file (memory only), keeps it.
  const redis =
    TEST_STORE === 'redis' && options.store === undefined && options.stateFile === undefined && options.keysFile === undefined ? await startRedis() : undefined;
  let running: RunningServer;
  try {
    running = await startServer(
      { port: 0, host: '127.0.0.1', strict: true, logLevel: 'silent', ...(redis ? { store: redis.url } : {}), ...options },
      { viaExpress: TEST_ENTRY === 'express' },
    );
  } catch (err) {
    await redis?.close();
    throw err;
  }
  const close = running.close;
  // Onto the server itself: a copy would build its lazy Express app.
  return Object.assign(running, {
    api: (id: string) => request.agent(`${running.url}${running.prefixes.get(id) ?? ''}`),
    close: redis ? () => close().finally(() => redis.close()) : close,
  });
}

/**
 * The set-up most test files share: one server for the whole file (started before its first test,
 * closed after its last) and, unless `reset` is false, reset to the fixtures before each test. The
 * value returned stands for that server (each property is read from it) once it has started.
 */
export function useTestServer(options: Partial<ServerOptions> = {}, { reset = true }: { reset?: boolean } = {}): TestServer {
  let started: TestServer | undefined;
  const running = (): TestServer => {
    if (started === undefined) throw new Error('the test server has not started: use it in a test or a hook, not at the top of the file');
    return started;
  };
  beforeAll(async () => {
    started = await startTestServer(options);
  });
  afterAll(() => started?.close());
  if (reset) beforeEach(() => resetSession(running()));
  return new Proxy({} as TestServer, {
    get(_target, key) {
      const value: unknown = Reflect.get(running(), key);
      return typeof value === 'function' ? value.bind(running()) : value;
    },
  });
}

const folders: string[] = [];
// Jest loads this module once per test file, so the folders go when the file ends.
afterAll(() => folders.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A fresh fixtures folder holding `<api>.yaml` with `yaml`. */
export function fixturesFolder(api: string, yaml: string): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), `authdouble-${api}-fixtures-`));
  folders.push(dir);
  const file = path.join(dir, `${api}.yaml`);
  writeFileSync(file, yaml);
  return { dir, file };
}

/** Starts `api` on `yaml` as its fixture, which must fail: returns the start-up error's message. */
export async function fixtureStartupError(api: string, yaml: string): Promise<{ message: string; file: string }> {
  const { dir, file } = fixturesFolder(api, yaml);
  const err = await startTestServer({ apis: [api], fixturesDir: dir }).then(
    async (server) => {
      await server.close();
      throw new Error('the server started on a broken fixture');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StartupError);
  return { message: (err as Error).message, file };
}

/** Runs `fn` on the state of one session (`default` by default) of `server`, whatever its store. */
export function inState<R>(server: RunningServer, fn: (state: SessionState) => R, session?: string): Promise<R> {
  return server.state.run(session, fn);
}

/** Back to the fixtures, as POST /__admin/reset does: the session's state, clock, faults and journal. */
export async function resetSession(server: RunningServer, session?: string): Promise<void> {
  await server.state.run(session, (state) => resetState(state));
  await server.state.journal.clear(session ?? 'default');
}
