import { SpecChecker } from '../../src/engine/spec-checker';
import { useTestServer } from '../helpers/server';

/**
 * Found by tests/fuzz/admin.test.ts: a malformed X-Authdouble-Session header (empty, or longer than
 * the spec's 200 characters) gets a 400 problem from every control call, but five operations did
 * not document a 400, so strict mode turned the answer into a 500.
 */

const server = useTestServer({ apis: ['b2core'] }, { reset: false });

const checker = SpecChecker.load('admin');

it.each([
  ['GET', '/clock'],
  ['DELETE', '/clock'],
  ['DELETE', '/requests'],
  ['GET', '/faults'],
  ['DELETE', '/faults'],
])('%s /__admin%s with a malformed session header: a documented 400 problem', async (method, path) => {
  for (const session of ['', 'x'.repeat(201)]) {
    const res = await fetch(`${server.url}/__admin${path}`, { method, headers: { 'x-authdouble-session': session } });
    const body = await res.text();
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(checker.check({ method, path, status: res.status, contentType: res.headers.get('content-type') ?? undefined, body }).problems).toEqual([]);
  }
});
