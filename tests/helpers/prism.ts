import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { freePort, waitFor } from './ports';
import { startTestServer, type TestServer } from './server';

const root = path.resolve(__dirname, '../..');
const prismBin = path.join(root, 'node_modules', '.bin', 'prism');

export interface PrismProcess {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Everything Prism printed so far. */
  output(): string;
  /** Lines in which Prism reports a request or response that breaks the spec. */
  violations(): string[];
  /** Resolves once Prism has printed nothing new for 300 ms (at most 5 s): its log has caught up. */
  quiet(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts `prism mock <spec>` or `prism proxy <spec> <upstream> --errors` on 127.0.0.1 and waits
 * until it listens (at most 30 s).
 */
export async function startPrism(options: { mode: 'mock' | 'proxy'; spec: string; upstream?: string }): Promise<PrismProcess> {
  const port = await freePort();
  const args = [options.mode, '-h', '127.0.0.1', '-p', String(port), path.join(root, options.spec)];
  if (options.mode === 'proxy') args.push(options.upstream ?? '', '--errors');
  const child: ChildProcess = spawn(prismBin, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  let exited = false;
  child.once('exit', () => (exited = true));
  const close = async () => {
    if (exited) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([gone, new Promise((r) => (timer = setTimeout(r, 3000)))]);
    clearTimeout(timer);
    if (!exited) child.kill('SIGKILL');
  };
  try {
    await waitFor(() => exited || /Prism is listening/.test(output), 30_000, `prism ${options.mode} to listen`);
    if (exited) throw new Error(`prism exited before listening:\n${output}`);
  } catch (err) {
    await close();
    throw err;
  }
  // Prism colours its log; strip the ANSI escapes.
  // eslint-disable-next-line no-control-regex
  const clean = () => output.replace(/\u001b\[[0-9;]*m/g, '');
  return {
    url: `http://127.0.0.1:${port}`,
    output: clean,
    violations: () => clean().split('\n').filter((l) => /violation|✖\s+error/i.test(l)),
    quiet: async () => {
      const deadline = Date.now() + 5000;
      let seen = -1;
      while (seen !== output.length && Date.now() < deadline) {
        seen = output.length;
        await new Promise((r) => setTimeout(r, 300));
      }
    },
    close,
  };
}

/**
 * For the tests of the enclosing describe block: our server for `api` (strict) behind
 * `prism proxy <spec> --errors`, started before them and stopped after.
 */
export function proxiedByPrism(api: string): { readonly prism: PrismProcess; readonly server: TestServer } {
  const handle = {} as { prism: PrismProcess; server: TestServer };
  beforeAll(async () => {
    handle.server = await startTestServer({ apis: [api] });
    handle.prism = await startPrism({ mode: 'proxy', spec: `openapi/${api}.yaml`, upstream: `${handle.server.url}/${api}` });
  });
  afterAll(async () => {
    await handle.prism?.close();
    await handle.server?.close();
  });
  return handle;
}

/**
 * `prism proxy <spec> --errors` in front of an upstream that answers every request with `status` and
 * `body` (JSON): the way to show that a Prism check can fail. `close()` stops both.
 */
export async function prismBeforeBrokenUpstream(spec: string, status: number, body: string): Promise<PrismProcess> {
  const broken = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((r) => broken.listen(0, '127.0.0.1', r));
  const upstream = `http://127.0.0.1:${(broken.address() as AddressInfo).port}`;
  const prism = await startPrism({ mode: 'proxy', spec, upstream }).catch((err: unknown) => {
    broken.close();
    throw err;
  });
  return {
    ...prism,
    close: async () => {
      await prism.close();
      await new Promise((r) => broken.close(r));
    },
  };
}
