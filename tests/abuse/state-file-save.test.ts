import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serveCli } from '../helpers/cli';
import { startTestServer } from '../helpers/server';

const dirs: string[] = [];
const folder = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'authdouble-state-save-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const signUp = (url: string, email: string) =>
  fetch(`${url}/v1.0/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client: 'khe-web', email, password: 'password-1' }) });

describe('state file saves', () => {
  it('a symlinked --state-file keeps its link: the file it points to is written', async () => {
    const dir = folder();
    const real = path.join(dir, 'real-state.json');
    const link = path.join(dir, 'link-state.json');
    symlinkSync(real, link);
    const server = await startTestServer({ apis: ['khe'], root: true, stateFile: link });
    await signUp(server.url, 'linked@khe.io');
    await server.close();
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(real);
    expect(readFileSync(real, 'utf8')).toContain('linked@khe.io');
  });

  it('temporary files left by a run killed in the middle of a save are removed at start', async () => {
    const dir = folder();
    const file = path.join(dir, 'state.json');
    const leftover = path.join(dir, '.state.json.99999.tmp');
    writeFileSync(leftover, '{"half a save');
    const other = path.join(dir, '.other.json.99999.tmp');
    writeFileSync(other, 'not ours');
    const server = await startTestServer({ apis: ['khe'], root: true, stateFile: file });
    await server.close();
    expect(existsSync(leftover)).toBe(false);
    expect(existsSync(other)).toBe(true);
  });

  it('a large state is saved whole and restored (streamed in batches)', async () => {
    const dir = folder();
    const file = path.join(dir, 'state.json');
    const server = await startTestServer({ apis: ['khe'], root: true, stateFile: file });
    const store = server.sessions.get().store;
    for (let i = 0; i < 5000; i++) store.set(`khe:bulk:${i}`, { i, text: 'x'.repeat(50) });
    await signUp(server.url, 'among-many@khe.io');
    await server.close();
    const again = await startTestServer({ apis: ['khe'], root: true, stateFile: file });
    try {
      expect(again.sessions.get().store.entries('khe:bulk:').length).toBe(5000);
      const res = await fetch(`${again.url}/v1.0/users/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client: 'khe-ios', email: 'among-many@khe.io', password: 'password-1' }) });
      expect(res.status).toBe(201);
    } finally {
      await again.close();
    }
  });

  it('SIGHUP saves the state and stops, as SIGTERM does', async () => {
    const dir = folder();
    const file = path.join(dir, 'state.json');
    const run = await serveCli(['--api', 'khe', '--log-level', 'error', '--state-file', file]);
    expect((await signUp(run.url, 'hangup@khe.io')).status).toBe(201);
    expect(await run.stop('SIGHUP')).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('hangup@khe.io');
  });
});
