/**
 * `--watch` on two instances that share one Redis store, through the built CLI: an edit reloads both,
 * and the API's shared state is reset once, by whichever instance gets there first. (Each resetting
 * it wiped, a moment later, what clients had done on the other since its reset.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serveCli, type CliRun } from '../helpers/cli';
import { waitFor } from '../helpers/ports';
import { startRedis, type TestRedis } from '../helpers/redis';

jest.setTimeout(60_000);

const fixture = (emails: string[]) => `users:\n${emails.map((email, i) => `  - id: "${i + 1}"\n    email: ${email}\n    password: Secret123\n`).join('')}`;
const signIn = (base: string, email: string) =>
  fetch(`${base}/api/v2/signin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'Secret123' }) });
const session = (base: string, token: string) => fetch(`${base}/api/v2/session`, { headers: { authorization: `Bearer ${token}` } });
const tokenOf = async (res: Response) => ((await res.json()) as { accessToken: { token: string } }).accessToken.token;
const count = (text: string, needle: string) => text.split(needle).length - 1;

let redis: TestRedis;
let dir: string;
let a: CliRun & { url: string };
let b: CliRun & { url: string };

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(path.join(tmpdir(), 'authdouble-watch-redis-'));
  writeFileSync(path.join(dir, 'b2core.yaml'), fixture(['first@example.com']));
  const serve = () => serveCli(['--api', 'b2core', '--fixtures', dir, '--watch', '--store', redis.url, '--log-level', 'info']);
  [a, b] = await Promise.all([serve(), serve()]);
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await redis?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('--watch with a shared Redis store', () => {
  it('an edit reloads every instance and resets the shared state once', async () => {
    const before = await signIn(a.url, 'first@example.com');
    expect(before.status).toBe(200);
    const token = await tokenOf(before);
    expect((await session(b.url, token)).status).toBe(200);

    writeFileSync(path.join(dir, 'b2core.yaml'), fixture(['first@example.com', 'second@example.com']));
    const reloads = () => count(a.stderr(), 'watch: reloaded b2core') + count(b.stderr(), 'watch: reloaded b2core');
    await waitFor(() => reloads() === 2, 15_000, 'both instances to reload');

    const logs = a.stderr() + b.stderr();
    expect(count(logs, 'its state in every session is reset to the new fixture')).toBe(1);
    expect(count(logs, 'its state was reset for this version by another instance sharing the store')).toBe(1);
    // The state was reset (the token issued before the edit is gone), and both serve the new fixture.
    for (const server of [a, b]) expect((await session(server.url, token)).status).toBe(401);
    const after = await signIn(b.url, 'second@example.com');
    expect(after.status).toBe(200);
    // What is done after the reset stays: no second reset comes to wipe it.
    const kept = await tokenOf(after);
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const server of [a, b]) expect((await session(server.url, kept)).status).toBe(200);
  });
});
