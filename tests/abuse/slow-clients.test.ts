import { connect, type Socket } from 'node:net';
import { startTestServer, type TestServer } from '../helpers/server';

/** Opens a raw connection and resolves once it is connected. */
function open(server: TestServer): Promise<Socket> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
  });
}

/** Writes `text` one byte every `everyMs` until the server closes; resolves with ms until then and what came back. */
function dribble(socket: Socket, prefix: string, text: string, everyMs: number): Promise<{ ms: number; answer: string }> {
  const started = Date.now();
  let answer = '';
  let i = 0;
  socket.on('data', (d: Buffer) => (answer += d.toString()));
  socket.write(prefix);
  const timer = setInterval(() => {
    if (!socket.destroyed) socket.write(text[i++ % text.length]!);
  }, everyMs);
  return new Promise((resolve) => {
    const done = () => {
      clearInterval(timer);
      resolve({ ms: Date.now() - started, answer });
    };
    socket.on('close', done);
    socket.on('error', () => undefined);
  });
}

describe('slow clients are cut at the documented deadlines, to within a second', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ apis: ['vault'], headersTimeoutMs: 2000, requestTimeoutMs: 4000 });
  });
  afterAll(() => server.close());

  it('headers dribbled byte by byte are cut at headersTimeout, while other clients are served', async () => {
    const socket = await open(server);
    const cut = dribble(socket, 'GET /vault/.well-known/openid-configuration HTTP/1.1\r\n', 'X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n', 100);
    const res = await fetch(`${server.url}/__admin/clock`);
    expect(res.status).toBe(200);
    const { ms } = await cut;
    expect(ms).toBeGreaterThanOrEqual(1900);
    expect(ms).toBeLessThan(3000);
  });

  it('a body dribbled byte by byte is cut at requestTimeout', async () => {
    const socket = await open(server);
    const head = 'POST /vault/reg/auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n';
    const { ms, answer } = await dribble(socket, head, '{"a":1}', 100);
    expect(ms).toBeGreaterThanOrEqual(3900);
    expect(ms).toBeLessThan(5000);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });
});

describe('--max-connections', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ apis: ['vault'], maxConnections: 3 });
  });
  afterAll(() => server.close());

  it('closes a connection past the cap at once, and accepts again once one goes', async () => {
    const held = await Promise.all([open(server), open(server), open(server)]);
    // Let the server register the three.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const extra = await open(server);
    const closed = await new Promise<boolean>((resolve) => {
      extra.on('close', () => resolve(true));
      extra.on('error', () => undefined);
      extra.write('GET /__admin/clock HTTP/1.1\r\nHost: x\r\n\r\n');
      setTimeout(() => resolve(false), 3000);
    });
    expect(closed).toBe(true);
    held[0]!.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const res = await fetch(`${server.url}/__admin/clock`, { headers: { connection: 'close' } });
    expect(res.status).toBe(200);
    held.forEach((s) => s.destroy());
  });

  it('is refused when not a whole number', async () => {
    await expect(startTestServer({ maxConnections: 0 })).rejects.toThrow(/maxConnections must be a whole number/);
  });
});
