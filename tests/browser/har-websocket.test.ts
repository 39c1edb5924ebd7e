/**
 * A HAR that Chromium itself recorded replays, WebSocket frames included (issue 15). The test app
 * (tests/browser/app, `?only=sama`) logs in to sama, logs in again by its refresh cookie and opens
 * the socket with `connect`, in Chromium, against a server started here; Playwright's
 * `recordHar` (content embedded) writes the session, the socket's frames as `_webSocketMessages` on
 * the upgrade entry as Chromium's dev tools export them (Playwright's `time` is in milliseconds,
 * the dev tools' in seconds: replay does not use it). Then the built CLI replays the file against a
 * fresh server: the frames are sent and each answer checked; against a server whose `connect`
 * answer is broken, that frame fails.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import type { Har } from '../../src/replay/har';
import { launchChromium } from '../helpers/chromium';
import { startBrokenProxy } from '../helpers/broken-proxy';
import { runCli } from '../helpers/cli';
import { startTestServer, type TestServer } from '../helpers/server';
import { servePage, statuses, type PageServer } from './support/page-server';

jest.setTimeout(120_000);

let browser: Browser;
let dir: string;
let harFile: string;
const servers: TestServer[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'authdouble-har-ws-'));
  harFile = path.join(dir, 'chromium.har');
  browser = await launchChromium();
  const recorded = await startTestServer();
  servers.push(recorded);
  const page: PageServer = await servePage();
  try {
    const context = await browser.newContext({ recordHar: { path: harFile, content: 'embed' } });
    const tab = await context.newPage();
    await tab.goto(`${page.origin}/?only=sama&mock=${encodeURIComponent(recorded.url)}`);
    await tab.waitForFunction(() => (globalThis as { authdoubleResults?: unknown }).authdoubleResults !== undefined, undefined, { timeout: 30_000 });
    const results = (await tab.evaluate(() => (globalThis as { authdoubleResults?: unknown }).authdoubleResults)) as Parameters<typeof statuses>[0];
    expect(statuses(results)).toEqual({ 'sama login': 200, 'sama login by cookie': 200, 'sama websocket connect': 101 });
    // The page closes its socket on the answer; closing the context writes the HAR.
    await context.close();
  } finally {
    await page.close();
  }
});

afterAll(async () => {
  await browser?.close();
  await Promise.all(servers.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function replay(target: string): Promise<{ code: number | null; out: string; err: string }> {
  const run = runCli(['replay', harFile, '--target', target, '--timeout', '5000']);
  const code = await run.exited;
  return { code, out: run.stdout(), err: run.stderr() };
}

it("Chromium's HAR holds the socket's frames, both ways, on the upgrade entry", () => {
  const har = JSON.parse(readFileSync(harFile, 'utf8')) as Har;
  const sockets = har.log.entries.filter((e) => e._webSocketMessages !== undefined);
  expect(sockets.map((e) => [e.request.url.replace(/:\d+/, ':PORT'), e.response.status, e._resourceType])).toEqual([['ws://127.0.0.1:PORT/sama', 101, 'websocket']]);
  const frames = sockets[0]!._webSocketMessages!;
  expect(frames.map((m) => [m.type, m.opcode, Object.keys(JSON.parse(m.data) as object)])).toEqual([
    ['send', 1, ['request']],
    ['receive', 1, ['response']],
  ]);
  expect(JSON.parse(frames[1]!.data)).toEqual({ response: { id: '1', success: true } });
  expect(frames.every((m) => typeof m.time === 'number')).toBe(true);
});

it('replays against a fresh server: the HTTP calls, the socket and its frame, each checked', async () => {
  const fresh = await startTestServer();
  servers.push(fresh);
  const { code, out, err } = await replay(`${fresh.url}/sama`);
  expect({ code, err }).toEqual({ code: 0, err: '' });
  const lines = out.split('\n').filter((l) => /^(ok|FAIL|skip)/.test(l)).map((l) => l.replace(/ \[[\d.]+ m?s\]$/, ''));
  expect(lines).toEqual([
    'ok   chromium.1.login: POST /login',
    'ok   chromium.2.login: POST /login',
    'ok   chromium.3.open: WS / (open the WebSocket)',
    'ok   chromium.3.1.connect: WS / connect',
  ]);
  expect(out).toMatch(/: 4 passed, 0 failed, 0 skipped in/);
});

it('reports a broken answer to the replayed frame as a failure (exit 1)', async () => {
  const fresh = await startTestServer();
  servers.push(fresh);
  const broken = await startBrokenProxy(fresh.url, undefined, (frame) => frame.replace('"success":true', '"success":false'));
  try {
    const { code, out, err } = await replay(`${broken.url}/sama`);
    expect({ code, err }).toEqual({ code: 1, err: '' });
    expect(out).toContain(
      'FAIL chromium.3.1.connect: WS / connect (differs from the recording: frame.response.success: recorded true, now false; and breaks the AsyncAPI document (connect): /response/success: must be one of true)',
    );
    expect(out).toMatch(/: 3 passed, 1 failed, 0 skipped in/);
  } finally {
    await broken.close();
  }
});
