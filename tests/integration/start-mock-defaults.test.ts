/**
 * What the README promises of `startMock()` with no options: 127.0.0.1, a free port, quiet, strict.
 * Each default is checked by what a user would notice, next to the same call that overrides it.
 */
import type { AddressInfo } from 'node:net';
import { startMock, type StartedMock } from '../../src/index';
import { DEFAULT_OPTIONS } from '../../src/options';
import { specDirTheBehaviourBreaks } from '../helpers/broken-spec';

const FOO = { email: 'foo@bar.com', password: 'Secret123' };
const broken = specDirTheBehaviourBreaks();
afterAll(() => broken.remove());

const mocks: StartedMock[] = [];
async function start(options: Parameters<typeof startMock>[0]): Promise<StartedMock> {
  const mock = await startMock(options);
  mocks.push(mock);
  return mock;
}
afterEach(async () => {
  await Promise.all(mocks.splice(0).map((m) => m.close()));
});

const signIn = (base: string, body: unknown = FOO) =>
  fetch(`${base}/api/v2/signin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('startMock() defaults, as the README states them', () => {
  it('is strict: a response that breaks the spec becomes a 500 problem', async () => {
    const strict = await start({ apis: ['b2core'], specDir: broken.dir });
    const res = await signIn(strict.urls.b2core!);
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.text()).toContain('notSentByTheMock');

    const lax = await start({ apis: ['b2core'], specDir: broken.dir, strict: false });
    expect((await signIn(lax.urls.b2core!)).status).toBe(200);
  });

  it('is quiet: nothing printed for requests, errors or closing', async () => {
    const written: string[] = [];
    const capture = (chunk: unknown) => {
      if (/ (info|warn|error) /.test(String(chunk))) written.push(String(chunk));
      return true;
    };
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
    try {
      const quiet = await startMock({ apis: ['b2core'] });
      await (await signIn(quiet.urls.b2core!)).arrayBuffer();
      await (await signIn(quiet.urls.b2core!, { ...FOO, password: 'wrong' })).arrayBuffer();
      // close() waits for in-flight requests, whose log line is written when they finish.
      await quiet.close();
      expect(written).toEqual([]);

      const loud = await startMock({ apis: ['b2core'], logLevel: 'info' });
      await (await signIn(loud.urls.b2core!)).arrayBuffer();
      await loud.close();
      expect(written.join('')).toMatch(/info POST \/b2core\/api\/v2\/signin 200/);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });

  it('listens on 127.0.0.1 only', async () => {
    const mock = await start({ apis: ['b2core'] });
    expect((mock.server.server.address() as AddressInfo).address).toBe('127.0.0.1');
    expect(mock.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(mock.urls.b2core).toBe(`${mock.url}/b2core`);
  });

  it('takes a free port, not the CLI default, so two mocks run side by side', async () => {
    const [a, b] = await Promise.all([start({ apis: ['b2core'] }), start({ apis: ['b2core'] })]);
    const portA = (a!.server.server.address() as AddressInfo).port;
    const portB = (b!.server.server.address() as AddressInfo).port;
    expect(portA).not.toBe(DEFAULT_OPTIONS.port);
    expect(portB).not.toBe(DEFAULT_OPTIONS.port);
    expect(portA).not.toBe(portB);
    expect((await signIn(a!.urls.b2core!)).status).toBe(200);
    expect((await signIn(b!.urls.b2core!)).status).toBe(200);
  });
});
