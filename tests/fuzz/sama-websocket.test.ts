import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import WebSocket from 'ws';
import { loadWsValidators } from '../../src/apis/sama/ws-schemas';
import { startTestServer, type TestServer } from '../helpers/server';
import { login, USER1, wsUrl } from '../helpers/sama';
import { Pools } from './support/pools';
import { rawFrameArbitrary, wsFrameArbitrary, type WsFrame } from './support/ws-frames';

jest.setTimeout(120_000);

const SOCKETS = 10;
const BATCH = 200;
const RUNS = Number(process.env.FUZZ_RUNS ?? 100) / 2; // 50 batches of 200: 10,000 frames
const SEED = Number(process.env.FUZZ_SEED ?? 8_006);
/** The fixture's soft limit: larger frames get a 413 message. */
const MAX_MESSAGE_BYTES = 65_536;
const validators = loadWsValidators();

let server: TestServer;
const pools = new Pools();

beforeAll(async () => {
  server = await startTestServer({ apis: ['sama'] });
  const { body, refresh } = await login(server);
  pools.add('access', body.access_token);
  pools.add('refresh', refresh);
});
afterAll(() => server.close());

/** A socket that answers one frame at a time, so each answer belongs to the frame before it. */
class SerialSocket {
  private constructor(
    readonly ws: WebSocket,
    private readonly inbox: string[],
    private readonly waiting: Array<(m: string) => void>,
  ) {}

  static async open(url: string): Promise<SerialSocket> {
    const ws = new WebSocket(url);
    const inbox: string[] = [];
    const waiting: Array<(m: string) => void> = [];
    ws.on('message', (data) => {
      const text = data.toString();
      const w = waiting.shift();
      if (w) w(text);
      else inbox.push(text);
    });
    ws.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new SerialSocket(ws, inbox, waiting);
  }

  /** The answer to `data`, or why there is none: the socket closed, or 5 s passed. */
  exchange(data: string | Buffer, binary: boolean): Promise<{ answer?: string; closed?: number; timeout?: true }> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ timeout: true }), 5000);
      const onClose = (code: number) => {
        clearTimeout(timer);
        resolve({ closed: code });
      };
      this.ws.once('close', onClose);
      this.waiting.push((answer) => {
        clearTimeout(timer);
        this.ws.off('close', onClose);
        resolve({ answer });
      });
      const queued = this.inbox.shift();
      if (queued !== undefined) this.waiting.pop()!(queued);
      else this.ws.send(data, { binary });
    });
  }
}

/** The id the server should repeat: a documented RequestId inside a JSON request object. */
function expectedId(text: string): unknown {
  try {
    const json = JSON.parse(text);
    const request = json && typeof json === 'object' && !Array.isArray(json) ? json.request : undefined;
    if (request && typeof request === 'object' && !Array.isArray(request) && validators.RequestId(request.id)) return request.id;
  } catch {
    // not JSON: no id
  }
  return undefined;
}

function problemsOf(frame: WsFrame, bytes: Buffer, result: { answer?: string; closed?: number; timeout?: true }): string[] {
  if (result.timeout) return ['no answer within 5 s'];
  if (result.closed !== undefined) return bytes.length > 1024 * 1024 ? [] : [`the socket closed (${result.closed})`];
  let answer: any;
  try {
    answer = JSON.parse(result.answer!);
  } catch {
    return [`the answer is not JSON: ${result.answer!.slice(0, 200)}`];
  }
  const problems: string[] = [];
  const documented = ['ConnectResponse', 'UserLoginResponse', 'ErrorResponse'] as const;
  if (!documented.some((name) => validators[name](answer))) problems.push(`the answer matches no documented message: ${result.answer!.slice(0, 300)}`);
  const status = answer?.response?.error?.status;
  if (typeof status === 'number' && status >= 500) problems.push(`error status ${status}: ${answer.response.error.message}`);
  const id = bytes.length > MAX_MESSAGE_BYTES ? undefined : expectedId(bytes.toString('utf8'));
  if (answer?.response?.id !== id) problems.push(`answered id ${JSON.stringify(answer?.response?.id)}, expected ${JSON.stringify(id)}`);
  if (bytes.length > MAX_MESSAGE_BYTES && status !== 413) problems.push(`a ${bytes.length}-byte frame got ${status ?? 'no error'}, not 413`);
  return problems;
}

it('answers 10,000 generated and malformed frames with documented messages, never a 5xx or a hang', async () => {
  const url = wsUrl(server);
  const sockets = await Promise.all(Array.from({ length: SOCKETS }, () => SerialSocket.open(url)));
  let frames = 0;
  const started = Date.now();
  const details = await fc.check(
    fc.asyncProperty(fc.array(wsFrameArbitrary, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
      const failures: string[] = [];
      await Promise.all(
        sockets.map(async (_, lane) => {
          for (let i = lane; i < batch.length; i += SOCKETS) {
            const frame = batch[i]!;
            const bytes =
              frame.payload.kind === 'value'
                ? Buffer.from(JSON.stringify(pools.deepResolve(frame.payload.value)))
                : frame.payload.kind === 'text'
                  ? Buffer.from(frame.payload.text)
                  : Buffer.from(frame.payload.bytes);
            const result = await sockets[lane]!.exchange(frame.payload.kind === 'binary' ? bytes : bytes.toString('utf8'), frame.payload.kind === 'binary');
            frames++;
            const answer = result.answer ? JSON.parse(result.answer) : undefined;
            if (typeof answer?.response?.token === 'string') pools.add('access', answer.response.token);
            for (const p of problemsOf(frame, bytes, result)) failures.push(`[${frame.label}] ${bytes.toString('utf8').slice(0, 160)}\n    ${p}`);
            if (result.closed !== undefined || result.timeout) sockets[lane] = await SerialSocket.open(url);
          }
        }),
      );
      if (failures.length > 0) throw new Error(failures.slice(0, 5).join('\n'));
    }),
    { numRuns: RUNS, seed: SEED, endOnFailure: true },
  );
  for (const s of sockets) s.ws.terminate();
  if (details.failed) {
    throw new Error(`ws fuzz failed after ${frames} frames; seed ${details.seed} (FUZZ_SEED=${details.seed})\n${String((details.errorInstance as Error)?.message ?? details.errorInstance)}`);
  }
  process.stderr.write(`fuzz sama WebSocket: ${frames} frames in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  expect(frames).toBeGreaterThanOrEqual(10_000);
});

/** Opens a socket by hand (no client library), so any bytes at all can follow the handshake. */
function rawSocket(): Promise<Socket> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let head = '';
    socket.on('error', reject);
    socket.write(
      `GET ${server.prefixes.get('sama') ?? ''}/ HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (!head.startsWith('HTTP/1.1 101')) reject(new Error(`no upgrade: ${head}`));
      else resolve(socket);
    };
    socket.on('data', onData);
  });
}

it('survives raw frames that break the protocol (bad opcodes, reserved bits, unmasked, lying lengths), and keeps serving', async () => {
  let sent = 0;
  const details = await fc.check(
    fc.asyncProperty(fc.array(rawFrameArbitrary, { minLength: 20, maxLength: 20 }), async (raws) => {
      await Promise.all(
        raws.map(async (raw) => {
          const socket = await rawSocket();
          socket.on('error', () => undefined);
          socket.write(raw.bytes);
          sent++;
          // The server either answers or closes; either way the socket is dropped after a moment.
          await new Promise((r) => setTimeout(r, 30));
          socket.destroy();
        }),
      );
      const check = await SerialSocket.open(wsUrl(server));
      const result = await check.exchange(JSON.stringify({ request: { user_login: USER1, id: 'alive' } }), false);
      check.ws.terminate();
      if (!result.answer || JSON.parse(result.answer).response.id !== 'alive') {
        throw new Error(`after ${raws.map((r) => r.label).join('; ')}: the server did not answer a good frame (${JSON.stringify(result)})`);
      }
    }),
    { numRuns: 25, seed: SEED, endOnFailure: true },
  );
  if (details.failed) throw new Error(`raw frame fuzz failed; seed ${details.seed}\n${String((details.errorInstance as Error)?.message)}`);
  expect(sent).toBe(500);
});
