import request from 'supertest';
import { startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ apis: ['b2core'] });
});
afterAll(() => server.close());

describe('journal entries are bounded in size', () => {
  it('long paths, many query parameters and long values are cut; each entry stays under 12 KB', async () => {
    const manyKeys = Array.from({ length: 1500 }, (_, i) => `k${i}=v`).join('&');
    const longValue = `q=${'x'.repeat(12_000)}`;
    const longPath = `/api/v2/${'p'.repeat(12_000)}`;
    await server.api('b2core').get(`/api/v2/session?${manyKeys}`).expect(401);
    await server.api('b2core').get(`/api/v2/session?${longValue}`).expect(401);
    await server.api('b2core').get(longPath).expect(404);
    const res = await request(`${server.url}/__admin`).get('/requests').expect(200);
    const entries = res.body.requests as Array<Record<string, any>>;
    expect(entries).toHaveLength(3);
    for (const entry of entries) expect(JSON.stringify(entry).length).toBeLessThan(12 * 1024);
    const [keys, value, path] = entries;
    expect(keys!.query.k0).toBe('v');
    expect(keys!.query['…']).toMatch(/^\d+ more parameters left out$/);
    expect((value!.query.q as string).startsWith('xxxx')).toBe(true);
    expect(path!.path.startsWith('/api/v2/ppp')).toBe(true);
    expect(path!.path.length).toBeLessThanOrEqual(1025);
  });
});
