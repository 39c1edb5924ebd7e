import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { startMock, type StartedMock } from '../../src/index';
import { launchChromium } from '../helpers/chromium';
import { freePort, waitFor } from '../helpers/ports';
import { APP_DIR, EVERY_STEP_ANSWERED, runPage, statuses } from './support/page-server';

// README.md's dev-server proxy recipes, run for real: the dev server serves the test app on
// 127.0.0.1, Chromium loads it, and every request (the sama WebSocket too) goes through the proxy.
// The README must show these files word for word (first test), so the blocks are run as written:
// doc-example: browser-vite-config extracted
// doc-example: browser-webpack-config extracted
const ROOT = path.join(__dirname, '..', '..');

const SERVERS = [
  { name: 'Vite', config: path.join(ROOT, 'examples', 'browser', 'vite.config.mjs'), script: 'vite-serve.mjs' },
  { name: 'webpack-dev-server', config: path.join(ROOT, 'examples', 'browser', 'webpack.config.cjs'), script: 'webpack-serve.cjs' },
];

jest.setTimeout(90_000);

it.each(SERVERS)('README shows the $name recipe these tests run, word for word', ({ config }) => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  expect(readme).toContain(`\`\`\`js\n${readFileSync(config, 'utf8')}\`\`\``);
});

describe.each(SERVERS)("a page served by $name's dev server, through its proxy", ({ name, config, script }) => {
  let browser: Browser;
  let mock: StartedMock;
  let server: ChildProcess;
  let serverUrl = '';
  let tempDir: string;
  beforeAll(async () => {
    tempDir = mkdtempSync(path.join(tmpdir(), 'authdouble-dev-server-'));
    [browser, mock] = await Promise.all([launchChromium(), startMock()]);
    const port = await freePort();
    server = spawn(process.execPath, [path.join(__dirname, 'support', script), config, APP_DIR, String(port), tempDir], {
      cwd: ROOT,
      env: { ...process.env, AUTHDOUBLE_URL: mock.url, VITE_CACHE_DIR: tempDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    server.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    server.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => / listening on (\S+)/.test(out) || server.exitCode !== null, 60_000, `${name} to listen`);
    const m = / listening on (\S+)/.exec(out);
    if (!m?.[1]) throw new Error(`${name} did not start:\n${out}`);
    serverUrl = m[1].replace(/\/$/, '');
  });
  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    await Promise.all([browser?.close(), mock?.close()]);
    rmSync(tempDir, { recursive: true, force: true });
  });

  it("signs in to every API, keeps the sama cookie and opens the WebSocket, all on the page's own origin", async () => {
    expect(serverUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // No ?mock=: the app calls its own origin, and the dev server forwards.
    const run = await runPage(browser, `${serverUrl}/?session=through-proxy`);
    try {
      expect(run.corsErrors).toEqual([]);
      expect(statuses(run.results)).toEqual(EVERY_STEP_ANSWERED);
      expect(run.results.find((r) => r.step === 'websocket connect')!.body).toEqual({ response: { id: '1', success: true } });
    } finally {
      await run.close();
    }
    // The requests reached this mock (the page never knew its address), in the page's session.
    const journal = await mock.control.session('through-proxy').requests({ api: 'b2core' });
    expect(journal.map((e) => e.path)).toContain('/api/v2/refresh');
    expect((await mock.control.requests({ api: 'sama' })).map((e) => e.status)).toEqual([200, 200]);
  });
});
