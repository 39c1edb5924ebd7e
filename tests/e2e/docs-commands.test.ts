/**
 * Every command in docs/verify.md and docs/replay.md runs, as written, with the built CLI (issue 15).
 * A command is a line that starts with `$ ` in a ```sh block; it must exit 0 unless it ends with
 * `# exit N`. What the docs call http://127.0.0.1:4600 is a server started here (`npm start`'s
 * twin), http://127.0.0.1:4712 one whose vault tokens live 600 s, and files they write go to a
 * temporary folder. `authdouble record` gets one request through its proxy (for sama, a login and a
 * WebSocket `connect`) and then Ctrl-C, and must print what the doc shows.
 *
 * The blocks this file runs, by their README/docs marker (tests/unit/doc-examples.test.ts):
 * doc-example: verify-local-run extracted
 * doc-example: verify-staging-otp extracted
 * doc-example: verify-fixtures-file extracted
 * doc-example: verify-generated extracted
 * doc-example: verify-flows extracted
 * doc-example: record-vault extracted
 * doc-example: record-sama-websocket extracted
 * doc-example: replay-sama-websocket extracted
 * doc-example: replay-differs extracted
 * doc-example: replay-scenarios extracted
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { cliPath, root, serveCli, type CliRun } from '../helpers/cli';
import { exampleById } from '../helpers/doc-examples';
import { waitFor } from '../helpers/ports';

jest.setTimeout(300_000);

interface DocCommand {
  doc: string;
  line: number;
  command: string;
  exit: number;
}

function commandsOf(doc: string): DocCommand[] {
  const lines = readFileSync(path.join(root, doc), 'utf8').split('\n');
  const out: DocCommand[] = [];
  let inSh = false;
  lines.forEach((text, i) => {
    if (/^```/.test(text)) {
      inSh = !inSh && text.trim() === '```sh';
      return;
    }
    if (!inSh || !text.startsWith('$ ')) return;
    const exit = /#\s*exit (\d)\s*$/.exec(text);
    out.push({ doc, line: i + 1, command: text.slice(2).replace(/\s+#.*$/, '').trim(), exit: exit ? Number(exit[1]) : 0 });
  });
  return out;
}

const commands = [...commandsOf('docs/verify.md'), ...commandsOf('docs/replay.md')];

let dir: string;
let main: CliRun & { url: string };
let shortTokens: CliRun & { url: string };

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'authdouble-docs-'));
  const fixtures = path.join(dir, 'short-tokens');
  mkdirSync(fixtures);
  const vault = readFileSync(path.join(root, 'fixtures/vault.yaml'), 'utf8').replace('accessTokenSeconds: 86400', 'accessTokenSeconds: 600');
  expect(vault).toContain('accessTokenSeconds: 600');
  writeFileSync(path.join(fixtures, 'vault.yaml'), vault);
  main = await serveCli(['--log-level', 'silent']);
  shortTokens = await serveCli(['--log-level', 'silent', '--fixtures', fixtures]);
});

afterAll(async () => {
  await main?.stop();
  await shortTokens?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The command as the test runs it: our servers, the built CLI, files in the temporary folder. */
function adapt(command: string): string {
  return command
    .replace(/http:\/\/127\.0\.0\.1:4600/g, main.url)
    .replace(/http:\/\/127\.0\.0\.1:4712/g, shortTokens.url)
    .replace(/--port 47\d\d/g, '--port 0')
    .replace(/(^|\s)reports\//g, `$1${dir}/reports/`)
    .replace(/(^|\s)(vault|sama)\.har/g, `$1${dir}/$2.har`)
    .replace(/(^|\s)(npx )?authdouble /g, `$1${JSON.stringify(process.execPath)} ${JSON.stringify(cliPath)} `);
}

function run(command: string, onStdout?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { cwd: root, env: { ...process.env, AUTHDOUBLE_ADMIN_TOKEN: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      onStdout?.(out, child);
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

it('the docs have commands to run', () => {
  expect(commands.length).toBeGreaterThan(15);
  expect(commands.some((c) => c.command.startsWith('authdouble record'))).toBe(true);
});

// In document order: the record command writes the vault.har that a later replay reads.
it.each(commands.map((c) => [`${c.doc}:${c.line}`, c] as const))('%s runs as documented', async (_where, doc) => {
  const command = adapt(doc.command);
  if (doc.command.startsWith('authdouble record --api sama')) {
    // A login, then the socket's connect with its token, then Ctrl-C.
    let sent = false;
    let seen = '';
    const result = await run(`exec ${command}`, (out, child) => {
      seen = out;
      const proxy = /proxy listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (!proxy || sent) return;
      sent = true;
      void samaLoginAndConnect(proxy)
        .then(() => waitFor(() => /WS connect -> ok/.test(seen), 10_000, 'the recorded frame'))
        .finally(() => child.kill('SIGINT'));
    });
    expect({ code: result.code, err: result.err }).toEqual({ code: 0, err: '' });
    const shown = exampleById('record-sama-websocket')
      .text.split('\n')
      .filter((l) => !l.startsWith('$ ') && l !== '^C' && !l.includes('proxy listening'))
      .map((l) => l.replace(/sama\.har/, `${dir}/sama.har`).replace(/http:\/\/127\.0\.0\.1:4600/, main.url));
    expect(result.out.split('\n').filter((l) => l !== '' && !l.includes('proxy listening'))).toEqual(shown);
    // And the file holds the frames the doc's JSON shows (the times aside).
    const har = JSON.parse(readFileSync(path.join(dir, 'sama.har'), 'utf8'));
    const socket = har.log.entries[1];
    expect(`${socket.request.method} ${socket.request.url} ${socket.response.status}`).toBe(`GET ${main.url.replace(/^http/, 'ws')}/sama/ 101`);
    const docJson = /```json\n([\s\S]*?)\n```/.exec(readFileSync(path.join(root, doc.doc), 'utf8'))![1]!;
    const untimed = (frames: Array<{ time: number }>) => frames.map(({ time, ...rest }) => ({ ...rest, time: typeof time }));
    expect(untimed(socket._webSocketMessages)).toEqual(untimed((JSON.parse(`{${docJson}}`) as { _webSocketMessages: Array<{ time: number }> })._webSocketMessages));
    return;
  }
  if (doc.command.startsWith('authdouble record')) {
    // A proxy: one password grant through it, then Ctrl-C, as the doc shows.
    let sent = false;
    let seen = '';
    const result = await run(`exec ${command}`, (out, child) => {
      seen = out;
      const proxy = /proxy listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (!proxy || sent) return;
      sent = true;
      void fetch(`${proxy}/reg/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'password', client_id: 'vault-mobile-app', username: 'viewer@example.com', password: readViewerPassword() }),
      })
        .then((res) => res.arrayBuffer())
        .then(() => waitFor(() => /POST \/reg\/auth\/token -> 200/.test(seen), 10_000, 'the recorded line'))
        .finally(() => child.kill('SIGINT'));
    });
    expect({ code: result.code, err: result.err }).toEqual({ code: 0, err: '' });
    expect(result.out).toMatch(/SIGINT: wrote 1 exchanges to .*vault\.har \(0 broke the spec\)/);
    return;
  }
  const result = await run(command);
  expect({ command: doc.command, code: result.code, err: result.code === doc.exit ? '' : `${result.err}\n${result.out.slice(-3000)}` }).toEqual({
    command: doc.command,
    code: doc.exit,
    err: '',
  });
});

/** sama's login_u1 logs in through `proxy`, then sends `connect` on the socket with the token. */
async function samaLoginAndConnect(proxy: string): Promise<void> {
  const res = await fetch(`${proxy}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ organization_id: '680a2fae96cc69d78861f101', login: 'login_u1', password: 'u1_password', device_id: 'browser-1' }),
  });
  const { access_token: token } = (await res.json()) as { access_token: string };
  const ws = new WebSocket(proxy.replace(/^http/, 'ws'));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => ws.send(JSON.stringify({ request: { connect: { token, device_id: 'browser-1' }, id: '1' } })));
    ws.once('message', () => ws.close(1000));
    ws.once('close', () => resolve());
    ws.once('error', reject);
  });
}

/** The password of vault's viewer@example.com, from the shipped fixture. */
function readViewerPassword(): string {
  const text = readFileSync(path.join(root, 'fixtures/vault.yaml'), 'utf8');
  const m = /username:\s*viewer@example\.com[\s\S]*?password:\s*['"]?([^'"\n]+)['"]?/.exec(text);
  if (!m?.[1]) throw new Error('fixtures/vault.yaml has no viewer@example.com password');
  return m[1].trim();
}
