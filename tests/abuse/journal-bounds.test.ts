import request from 'supertest';
import { useTestServer } from '../helpers/server';

const server = useTestServer({ apis: ['b2core'] }, { reset: false });

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

  it('headers and bodies are cut to their bounds, and a body under them is kept exactly', async () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 60; i++) many[`x-many-${String(i).padStart(2, '0')}`] = `v${i}`;
    const long = { 'x-long': 'h'.repeat(600) };
    // 3,000 characters of two bytes each: over 4 KB as bytes, under the bound as characters.
    const accented = JSON.stringify({ email: 'foo@bar.com', password: 'é'.repeat(3000) });
    const oversized = JSON.stringify({ email: 'foo@bar.com', password: 'p'.repeat(5000) });
    await request(`${server.url}/__admin`).delete('/requests').expect(204);
    await server.api('b2core').get('/api/v2/session').set(many).expect(401);
    await server.api('b2core').get('/api/v2/session').set(long).expect(401);
    await server.api('b2core').post('/api/v2/signin').set('content-type', 'application/json').send(accented);
    await server.api('b2core').post('/api/v2/signin').set('content-type', 'application/json').send(oversized);
    const read = async () => (await request(`${server.url}/__admin`).get('/requests').expect(200)).body.requests as Array<Record<string, any>>;
    const entries = await read();
    expect(entries).toHaveLength(4);
    const [manyEntry, longEntry, accentedEntry, oversizedEntry] = entries;
    const names = Object.keys(manyEntry!.requestHeaders);
    expect(names).toHaveLength(50);
    expect(names.filter((n) => n.startsWith('x-many-'))).toEqual(names.filter((n) => n.startsWith('x-many-')).sort());
    expect(manyEntry!.requestHeaders['x-many-59']).toBeUndefined();
    expect(longEntry!.requestHeaders['x-long']).toBe(`${'h'.repeat(512)}…`);
    expect(accentedEntry!.requestBody).toBe(accented);
    expect(oversizedEntry!.requestBody).toBe(`${oversized.slice(0, 4096)}…`);
    expect(accentedEntry!.responseHeaders['content-type']).toMatch(/^application\/json/);
    // Read again: the same entries.
    expect(await read()).toEqual(entries);
  });
});
