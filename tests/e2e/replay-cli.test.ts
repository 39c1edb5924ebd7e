// doc-example: record-replay-cli 9efabfc8 (README: record through a proxy, replay against a fresh mock and a target)
// doc-example: replay-har d8ae4772 (docs/replay.md: replay the hand-written HAR)
// doc-example: replay-sama-websocket extracted (docs/replay.md: the recorded sama socket replays as shown)
/**
 * The built CLI: `authdouble replay` and `authdouble record` as a tester runs them. Exit 0 when
 * every step passed, 1 when one failed, 2 when the run could not happen (bad flags, broken file,
 * unreachable target), always with a message and never a stack trace.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { root, runCli, serveCli, type CliRun } from '../helpers/cli';
import { exampleById } from '../helpers/doc-examples';
import { WebSocket } from 'ws';
import { freePort, waitFor } from '../helpers/ports';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'authdouble-replay-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function finish(run: CliRun): Promise<{ code: number | null; out: string; err: string }> {
  const timer = setTimeout(() => run.child.kill('SIGKILL'), 20_000);
  const code = await run.exited;
  clearTimeout(timer);
  return { code, out: run.stdout(), err: run.stderr() };
}

function noStack(text: string): void {
  expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

describe('authdouble replay', () => {
  it('replays the hand-written HAR against a fresh mock and exits 0, with a line per step and the summary', async () => {
    const { code, out, err } = await finish(runCli(['replay', 'fixtures/har/b2core-session.har']));
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(/^ok {3}b2core-session\.1\.signIn: POST \/api\/v2\/signin \[\d+ ms\]$/m);
    expect(out).toMatch(/replay fixtures\/har\/b2core-session\.har against a fresh authdouble \(http:\/\/127\.0\.0\.1:\d+\): 6 passed, 0 failed, 0 skipped/);
  });

  it("replays the recorded sama socket's frames as docs/replay.md shows", async () => {
    const example = exampleById('replay-sama-websocket').text.split('\n');
    const command = example[0]!.replace(/^\$ authdouble /, '').split(' ');
    const { code, out, err } = await finish(runCli(command));
    expect({ code, err }).toEqual({ code: 0, err: '' });
    const steps = (text: string[]) => text.filter((l) => /^(ok|FAIL|skip) /.test(l)).map((l) => l.replace(/ \[\d+ ms\]$/, ''));
    expect(steps(out.split('\n'))).toEqual(steps(example));
    expect(steps(example)).toHaveLength(6);
    const summary = (text: string) => text.replace(/\(http:\/\/127\.0\.0\.1:\d+\)/, '(URL)').replace(/in [\d.]+ s/, 'in T s');
    expect(summary(out)).toContain(summary(example.find((l) => l.startsWith('replay '))!));
  });

  it('runs scenarios against a served mock and writes JUnit and JSON reports', async () => {
    const server = await serveCli(['--log-level', 'silent']);
    try {
      const junit = path.join(dir, 'replay.xml');
      const json = path.join(dir, 'replay.json');
      const { code, out } = await finish(
        runCli(['replay', 'fixtures/scenarios/vault-password-grant.yaml', '--target', `${server.url}/vault`, '--junit', junit, '--json', json]),
      );
      expect(code).toBe(0);
      expect(out).toContain(`against ${server.url}/vault: 6 passed, 0 failed`);
      expect(readFileSync(junit, 'utf8')).toContain('<testsuite name="replay fixtures/scenarios/vault-password-grant.yaml" tests="6" failures="0"');
      const report = JSON.parse(readFileSync(json, 'utf8'));
      expect(report.counts).toEqual({ passed: 6, failed: 0, skipped: 0 });
      expect(report.results[0].id).toBe('vault-password-grant.1');
    } finally {
      await server.stop();
    }
  });

  it('exits 1 against a target whose answer changed, naming the field', async () => {
    const fixtures = path.join(dir, 'fixtures');
    mkdirSync(fixtures, { recursive: true });
    const vault = readFileSync(path.join(root, 'fixtures/vault.yaml'), 'utf8').replace('accessTokenSeconds: 86400', 'accessTokenSeconds: 600');
    writeFileSync(path.join(fixtures, 'vault.yaml'), vault);
    const server = await serveCli(['--log-level', 'silent', '--fixtures', fixtures]);
    try {
      const { code, out } = await finish(runCli(['replay', 'fixtures/scenarios/vault-password-grant.yaml', '--target', `${server.url}/vault`]));
      expect(code).toBe(1);
      // Issue 15: scenarios run on verify's runner, so the failure is worded as verify's are.
      expect(out).toMatch(/^FAIL vault-password-grant\.1: password grant \(JSON\) \(body\/expires_in is 600, expected 86400\)/m);
      expect(out).toMatch(/^ {4}expected: status 200, body with \{.*"expires_in":86400/m);
      expect(out).toMatch(/^ {4}actual: {3}200 application\/json; charset=utf-8 \{"access_token":"eyJ/m);
      // The answer's values are still kept for the next steps, as before.
      expect(out).toMatch(/^ok {3}vault-password-grant\.2: /m);
    } finally {
      await server.stop();
    }
  });

  it('exits 2 when the target cannot be reached', async () => {
    const port = await freePort();
    const { code, out, err } = await finish(runCli(['replay', 'fixtures/har/b2core-session.har', '--target', `http://127.0.0.1:${port}/b2core`]));
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toBe(`authdouble replay: cannot reach the target http://127.0.0.1:${port}/b2core: fetch failed (ECONNREFUSED)\n`);
  });

  it('exits 2 on a broken HAR, naming the entry and the line', async () => {
    const file = path.join(dir, 'broken.har');
    writeFileSync(file, JSON.stringify({ log: { entries: [{ request: { method: 'GET', url: 'nope' }, response: { status: 200 } }] } }, null, 2));
    const { code, err } = await finish(runCli(['replay', file]));
    expect(code).toBe(2);
    expect(err).toMatch(/broken\.har:\d+:\d+ log\.entries\[0\]\.request\.url \(entry 1\): must match format "uri"/);
    noStack(err);
  });

  it('exits 2 on malformed WebSocket frames (_webSocketMessages), naming the entry', async () => {
    const har = JSON.parse(readFileSync(path.join(root, 'fixtures/har/sama-websocket.har'), 'utf8'));
    const file = path.join(dir, 'frames.har');
    har.log.entries[1]._webSocketMessages[3] = { type: 'received', time: 'now', opcode: 1 };
    writeFileSync(file, JSON.stringify(har, null, 2));
    const bad = await finish(runCli(['replay', file]));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^authdouble replay: .*frames\.har: not a HAR file authdouble can replay:\n/);
    expect(bad.err).toMatch(/frames\.har:\d+:\d+ log\.entries\[1\]\._webSocketMessages\[3\]\.type \(entry 2\): must be one of "send", "receive"/);
    expect(bad.err).toMatch(/log\.entries\[1\]\._webSocketMessages\[3\]\.time \(entry 2\): must be number/);
    expect(bad.err).toMatch(/frames\.har:\d+:\d+ log\.entries\[1\]\._webSocketMessages\[3\]\.data \(entry 2\): is required/);
    noStack(bad.err);
    har.log.entries[1]._webSocketMessages = 'frames';
    writeFileSync(file, JSON.stringify(har, null, 2));
    const notList = await finish(runCli(['replay', file]));
    expect(notList.code).toBe(2);
    expect(notList.err).toMatch(/log\.entries\[1\]\._webSocketMessages \(entry 2\): must be array/);
    noStack(notList.err);
  });

  it('exits 2 on a missing file and on bad flags', async () => {
    const missing = await finish(runCli(['replay', path.join(dir, 'nope.har')]));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/nope\.har: cannot read the HAR file: file not found/);
    const flag = await finish(runCli(['replay', 'fixtures/har/b2core-session.har', '--timeout', 'soon']));
    expect(flag.code).toBe(2);
    expect(flag.err).toMatch(/option '--timeout <ms>' argument 'soon' is invalid/);
    const none = await finish(runCli(['replay']));
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/missing required argument 'files'/);
  });
});

describe('authdouble record', () => {
  it('proxies to the target, reports each exchange, writes a redacted HAR, and stops cleanly on SIGTERM', async () => {
    const server = await serveCli(['--log-level', 'silent']);
    const out = path.join(dir, 'recorded.har');
    const recorder = runCli(['record', '--api', 'b2core', '--target', `${server.url}/b2core`, '--out', out, '--port', '0']);
    try {
      await waitFor(() => /proxy listening on (http:\/\/\S+)/.test(recorder.stdout()) || recorder.child.exitCode !== null, 15_000, 'the recorder');
      const proxy = /proxy listening on (http:\/\/\S+)/.exec(recorder.stdout())?.[1];
      expect(proxy).toBeDefined();
      const res = await fetch(`${proxy}/api/v2/signin`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'foo@bar.com', password: 'Secret123' }),
      });
      const body = (await res.json()) as { accessToken: { token: string } };
      await waitFor(() => recorder.stdout().includes('POST /api/v2/signin -> 200 signIn: ok'), 5000, 'the live line');
      expect(await recorder.stop('SIGTERM')).toBe(0);
      expect(recorder.stdout()).toContain(`SIGTERM: wrote 1 exchanges to ${out} (0 broke the spec)`);
      const text = readFileSync(out, 'utf8');
      expect(text).not.toContain('Secret123');
      expect(text).not.toContain(body.accessToken.token);

      // And the recording replays against the same server, in a fresh state session.
      const replayed = await finish(runCli(['replay', out, '--target', `${server.url}/b2core`]));
      expect(replayed.code).toBe(0);
    } finally {
      await recorder.stop('SIGKILL');
      await server.stop();
    }
  });

  it('proxies the sama WebSocket: its frames go into the HAR, redacted, and replay', async () => {
    const server = await serveCli(['--log-level', 'silent']);
    const out = path.join(dir, 'sama-ws.har');
    const recorder = runCli(['record', '--api', 'sama', '--target', `${server.url}/sama`, '--out', out]);
    try {
      await waitFor(() => /proxy listening on (http:\/\/\S+)/.test(recorder.stdout()) || recorder.child.exitCode !== null, 15_000, 'the recorder');
      const proxy = /proxy listening on (http:\/\/\S+)/.exec(recorder.stdout())![1]!;
      const res = await fetch(`${proxy}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ organization_id: '680a2fae96cc69d78861f101', login: 'login_u1', password: 'u1_password', device_id: 'cli' }),
      });
      const { access_token: token } = (await res.json()) as { access_token: string };
      const ws = new WebSocket(proxy.replace(/^http/, 'ws'));
      const answer = await new Promise<string>((resolve, reject) => {
        ws.once('open', () => ws.send(JSON.stringify({ request: { connect: { token, device_id: 'cli' }, id: 'x' } })));
        ws.once('message', (data) => resolve(data.toString()));
        ws.once('error', reject);
      });
      expect(JSON.parse(answer)).toEqual({ response: { id: 'x', success: true } });
      await new Promise((resolve) => {
        ws.once('close', resolve);
        ws.close(1000);
      });
      await waitFor(() => recorder.stdout().includes('WS connect -> ok'), 5000, 'the live line');
      expect(await recorder.stop('SIGTERM')).toBe(0);
      expect(recorder.stdout()).toContain(`SIGTERM: wrote 2 exchanges to ${out} (0 broke the spec)`);
      const text = readFileSync(out, 'utf8');
      expect(text).not.toContain(token);
      const frames = JSON.parse(text).log.entries[1]._webSocketMessages as Array<{ type: string; data: string }>;
      expect(frames.map((f) => f.type)).toEqual(['send', 'receive']);
      expect(frames[0]!.data).toMatch(/^\{"request":\{"connect":\{"token":"<redacted:token#\d+>","device_id":"cli"\},"id":"x"\}\}$/);

      const replayed = await finish(runCli(['replay', out, '--target', `${server.url}/sama`]));
      expect({ code: replayed.code, err: replayed.err }).toEqual({ code: 0, err: '' });
      expect(replayed.out).toMatch(/^ok {3}sama-ws\.2\.1\.connect: WS \/ connect \[\d+ ms\]$/m);
    } finally {
      await recorder.stop('SIGKILL');
      await server.stop();
    }
  });

  it('exits 2 when the target cannot be reached, or on a bad flag, and writes nothing', async () => {
    const port = await freePort();
    const out = path.join(dir, 'never.har');
    const down = await finish(runCli(['record', '--api', 'b2core', '--target', `http://127.0.0.1:${port}`, '--out', out]));
    expect(down.code).toBe(2);
    expect(down.err).toBe(`authdouble record: cannot reach the target http://127.0.0.1:${port}: fetch failed (ECONNREFUSED)\n`);
    expect(existsSync(out)).toBe(false);
    const api = await finish(runCli(['record', '--api', 'nope', '--target', 'http://127.0.0.1:1', '--out', out]));
    expect(api.code).toBe(2);
    expect(api.err).toMatch(/unknown API "nope"/);
    const target = await finish(runCli(['record', '--api', 'b2core', '--target', 'ftp://x', '--out', out]));
    expect(target.code).toBe(2);
    expect(target.err).toMatch(/must be an http\(s\) URL/);
  });
});
