import { startTestServer } from '../helpers/server';

// `localhost` may resolve to ::1 before 127.0.0.1 (Chromium tries both; Node and curl on many
// systems take ::1 first): the default server answers on both, on the same port.
it('answers on 127.0.0.1, [::1] and localhost, on one port, with one state', async () => {
  const server = await startTestServer();
  try {
    const port = new URL(server.url).port;
    for (const host of ['127.0.0.1', '[::1]', 'localhost']) {
      const res = await fetch(`http://${host}:${port}/sama/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-authdouble-session': 'hosts' },
        body: JSON.stringify({ organization_id: '680a2fae96cc69d78861f101', login: 'login_u1', password: 'u1_password', device_id: host }),
      });
      expect(res.status).toBe(200);
    }
    const journal = await fetch(`http://[::1]:${port}/__admin/requests?api=sama`, { headers: { 'x-authdouble-session': 'hosts' } });
    expect(((await journal.json()) as { requests: unknown[] }).requests).toHaveLength(3);
  } finally {
    await server.close();
  }
});

it('binds only the interface asked for otherwise', async () => {
  const server = await startTestServer({ host: '::1' });
  try {
    const port = new URL(server.url).port;
    expect(server.url).toBe(`http://[::1]:${port}`);
    await expect(fetch(`http://127.0.0.1:${port}/__admin/clock`)).rejects.toThrow();
    expect((await fetch(`${server.url}/__admin/clock`)).status).toBe(200);
  } finally {
    await server.close();
  }
});
