import request from 'supertest';
import { useTestServer } from '../helpers/server';

const server = useTestServer({ apis: ['b2core'] }, { reset: false });

const ctl = () => request.agent(`${server.url}/__admin`).set('X-Authdouble-Session', 'paging');

/** Follows `next` from the first page to the last; returns every item and the page sizes. */
async function allPages(path: string, field: string, limit: number): Promise<{ items: any[]; sizes: number[] }> {
  const items: any[] = [];
  const sizes: number[] = [];
  let cursor: string | undefined;
  for (let guard = 0; guard < 100; guard++) {
    const res = await ctl().get(path).query({ limit, ...(cursor ? { cursor } : {}) }).expect(200);
    items.push(...res.body[field]);
    sizes.push(res.body[field].length);
    cursor = res.body.next;
    if (!cursor) break;
  }
  return { items, sizes };
}

describe('/__admin/tokens and /__admin/requests are paged with limit and cursor', () => {
  beforeAll(async () => {
    const b2 = request.agent(`${server.url}/b2core`).set('X-Authdouble-Session', 'paging');
    for (let i = 0; i < 12; i++) await b2.post('/api/v2/signin').send({ email: 'foo@bar.com', password: 'Secret123' }).expect((r) => expect([200, 429]).toContain(r.status));
  });

  it('tokens: pages of `limit`, oldest first, each token once, `next` absent on the last page', async () => {
    const whole = await ctl().get('/tokens').expect(200);
    expect(whole.body.next).toBeUndefined();
    const total = whole.body.tokens.length as number;
    expect(total).toBeGreaterThanOrEqual(4);
    const { items, sizes } = await allPages('/tokens', 'tokens', 3);
    expect(sizes.slice(0, -1).every((n) => n === 3)).toBe(true);
    expect(items.map((t) => t.token).sort()).toEqual(whole.body.tokens.map((t: any) => t.token).sort());
    expect(new Set(items.map((t) => t.token)).size).toBe(total);
  });

  it('requests: the same, and a request made between pages does not shift them', async () => {
    const first = await ctl().get('/requests').query({ limit: 5 }).expect(200);
    expect(first.body.requests).toHaveLength(5);
    await request.agent(`${server.url}/b2core`).set('X-Authdouble-Session', 'paging').get('/api/v2/session');
    const second = await ctl().get('/requests').query({ limit: 5, cursor: first.body.next }).expect(200);
    expect(second.body.requests[0].id).toBe(first.body.requests[4].id + 1);
  });

  it('refuses a cursor it did not give, and a limit out of range', async () => {
    const res = await ctl().get('/tokens').query({ cursor: 'made-up' }).expect(400);
    expect(res.body.detail).toMatch(/cursor/);
    await ctl().get('/requests').query({ limit: 0 }).expect(400);
    await ctl().get('/requests').query({ limit: 1001 }).expect(400);
  });
});
