import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';
import { guardSocket, type SocketLimits } from '../../src/engine/ws-guard';
import { startTestServer } from '../helpers/server';

/** A WebSocket server whose endpoint answers every frame with `answerBytes` bytes, guarded with `limits`. */
async function echoServer(limits: SocketLimits, answerBytes: number) {
  const http: Server = createServer();
  const wss = new WebSocketServer({ server: http });
  const seen = { frames: 0, socket: undefined as WebSocket | undefined, closedWith: undefined as number | undefined, sendErrors: [] as Error[] };
  const answer = Buffer.alloc(answerBytes, 'a');
  wss.on('connection', (ws) => {
    seen.socket = ws;
    guardSocket(ws, limits);
    ws.on('message', () => {
      seen.frames++;
      ws.send(answer, (err) => err && seen.sendErrors.push(err));
    });
    ws.on('close', (code) => (seen.closedWith = code));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

const opened = (ws: WebSocket) => new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const socketOf = (ws: WebSocket) => (ws as unknown as { _socket: import('node:net').Socket })._socket;

describe('WebSocket back-pressure and frame-rate cap (the server wiring, any endpoint)', () => {
  it('a client that sends but never reads stops being read once its answers queue past the bound', async () => {
    const server = await echoServer({ maxBufferedBytes: 256 * 1024, stalledMs: 60_000, maxFramesPerSecond: 100_000 }, 16 * 1024);
    const client = new WebSocket(server.url);
    try {
      await opened(client);
      socketOf(client).pause();
      // 2,000 frames would queue 32 MB of answers without back-pressure.
      for (let i = 0; i < 2000; i++) client.send('{"request":{"x":{},"id":"1"}}');
      await wait(1500);
      expect(server.seen.socket!.bufferedAmount).toBeLessThan(4 * 1024 * 1024);
      expect(server.seen.frames).toBeLessThan(2000);
      // Once it reads again, the rest is read and answered.
      socketOf(client).resume();
      client.on('message', () => undefined);
      for (let i = 0; i < 200 && server.seen.frames < 2000; i++) await wait(50);
      expect(server.seen.frames).toBe(2000);
    } finally {
      client.terminate();
      await server.close();
    }
  });

  it('a client that never reads again is cut after stalledMs', async () => {
    const server = await echoServer({ maxBufferedBytes: 64 * 1024, stalledMs: 500, maxFramesPerSecond: 100_000 }, 16 * 1024);
    const client = new WebSocket(server.url);
    try {
      await opened(client);
      socketOf(client).pause();
      for (let i = 0; i < 500; i++) client.send('x');
      for (let i = 0; i < 100 && server.seen.closedWith === undefined; i++) await wait(50);
      expect([1008, 1006]).toContain(server.seen.closedWith);
    } finally {
      client.terminate();
      await server.close();
    }
  });

  it('cutting a client fails the answers still queued for it with one error, not one built per answer', async () => {
    // Small answers: thousands of writes queue before the bound. Building an error (with its stack
    // trace) for each of them when the socket goes stalled the event loop for 40-50 ms in the soak.
    const server = await echoServer({ maxBufferedBytes: 256 * 1024, stalledMs: 200, maxFramesPerSecond: 100_000 }, 256);
    const client = new WebSocket(server.url);
    try {
      await opened(client);
      socketOf(client).pause();
      // 15 MB of answers: more than the kernel's buffers on both ends hold.
      for (let i = 0; i < 60_000; i++) client.send('x');
      for (let i = 0; i < 100 && server.seen.closedWith === undefined; i++) await wait(50);
      expect(server.seen.closedWith).toBeDefined();
      expect(server.seen.sendErrors.length).toBeGreaterThan(1000);
      expect(new Set(server.seen.sendErrors).size).toBe(1);
    } finally {
      client.terminate();
      await server.close();
    }
  });

  it('frames past the per-socket rate wait for the next second instead of being read at once', async () => {
    const server = await echoServer({ maxBufferedBytes: 1024 * 1024, stalledMs: 60_000, maxFramesPerSecond: 200 }, 10);
    const client = new WebSocket(server.url);
    try {
      await opened(client);
      client.on('message', () => undefined);
      for (let i = 0; i < 1000; i++) client.send('x');
      await wait(300);
      expect(server.seen.frames).toBeLessThanOrEqual(200 + 64);
      for (let i = 0; i < 200 && server.seen.frames < 1000; i++) await wait(50);
      expect(server.seen.frames).toBe(1000);
    } finally {
      client.terminate();
      await server.close();
    }
  });

  it('the mock server applies it to the sama socket: a flood of frames is answered in full, in order', async () => {
    const server = await startTestServer({ apis: ['sama'] });
    const client = new WebSocket(`${server.url.replace('http', 'ws')}/sama`);
    try {
      await opened(client);
      const answers: number[] = [];
      client.on('message', (data) => answers.push(Number(JSON.parse(String(data)).response.id)));
      for (let i = 0; i < 1500; i++) client.send(JSON.stringify({ request: { nope: {}, id: String(i) } }));
      for (let i = 0; i < 200 && answers.length < 1500; i++) await wait(50);
      expect(answers).toHaveLength(1500);
      expect(answers).toEqual([...answers].sort((a, b) => a - b));
    } finally {
      client.terminate();
      await server.close();
    }
  });
});
