import { connect } from 'node:net';
import { useTestServer } from '../helpers/server';

const server = useTestServer({ apis: ['b2core', 'vault'] }, { reset: false });

/**
 * Sends `head`, then body bytes in 64 KB pieces while the server keeps reading, up to `maxBytes`.
 * Resolves with what the server answered and how much body it took before it closed the connection.
 */
function upload(head: string, chunked: boolean, maxBytes: number): Promise<{ answer: string; sent: number; closed: boolean }> {
  const { port } = new URL(server.url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    let sent = 0;
    let done = false;
    const piece = Buffer.alloc(64 * 1024, 'a');
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve({ answer, sent, closed });
    };
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    const pump = () => {
      while (!done && sent < maxBytes) {
        sent += piece.length;
        if (chunked) socket.write(`${piece.length.toString(16)}\r\n`);
        let ok = socket.write(piece);
        if (chunked) ok = socket.write('\r\n') && ok;
        if (!ok) {
          socket.once('drain', pump);
          return;
        }
      }
      if (sent >= maxBytes) setTimeout(() => finish(false), 2000);
    };
    socket.write(head, () => setImmediate(pump));
  });
}

describe('an oversized body is refused early', () => {
  it('a declared Content-Length over the limit gets 413 before the body is read, and the connection closes', async () => {
    const head =
      'POST /b2core/api/v2/signin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000000000\r\n\r\n';
    const { answer, sent, closed } = await upload(head, false, 64 * 1024 * 1024);
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toMatch(/larger than the limit/);
    expect(closed).toBe(true);
    expect(sent).toBeLessThan(64 * 1024 * 1024);
  });

  it('a route that takes no body answers without reading it, and the connection closes', async () => {
    const head = 'GET /b2core/api/v2/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000000000\r\n\r\n';
    const { answer, sent, closed } = await upload(head, false, 64 * 1024 * 1024);
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    expect(closed).toBe(true);
    expect(sent).toBeLessThan(64 * 1024 * 1024);
  });

  it('a chunked body that grows past the limit gets 413 while it is still being sent, and the connection closes', async () => {
    const head = 'POST /vault/reg/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';
    const { answer, sent, closed } = await upload(head, true, 64 * 1024 * 1024);
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(closed).toBe(true);
    expect(sent).toBeLessThan(64 * 1024 * 1024);
  });
});
