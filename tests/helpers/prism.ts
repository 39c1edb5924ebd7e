import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
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
  /**
   * Resolves once Prism's log has caught up with every request sent before: it sends a marker request
   * and waits (at most 10 s) for Prism to log that it finished with it. The marker's lines are left
   * out of `output()` and `violations()`.
   */
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
  const url = `http://127.0.0.1:${port}`;
  const MARKER = '/__authdouble-log-marker-';
  // Prism colours its log; strip the ANSI escapes, and the lines of quiet()'s marker requests.
  // eslint-disable-next-line no-control-regex
  const strip = () => output.replace(/\u001b\[[0-9;]*m/g, '');
  const clean = () =>
    strip()
      .split('\n')
      .filter((l) => !l.includes(MARKER))
      .join('\n');
  return {
    url,
    output: clean,
    violations: () => clean().split('\n').filter((l) => /violation|✖\s+error/i.test(l)),
    quiet: async () => {
      // Prism handles and logs requests in order; no spec has this path, so Prism's last line for it
      // is "Request terminated with error ... no path matched".
      const marker = `${MARKER}${randomUUID()}`;
      await fetch(`${url}${marker}`).then((res) => res.arrayBuffer());
      await waitFor(() => strip().split('\n').some((l) => l.includes(marker) && /terminated/i.test(l)), 10_000, 'Prism to log the marker request');
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
