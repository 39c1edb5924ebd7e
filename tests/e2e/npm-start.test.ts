/**
 * The README's quick start: `npm start` serves every API (its prestart builds dist/ first when it
 * is missing, since installing runs no build script). `npm ci` and `npm test` are what CI runs
 * around this very test (.ci/run), so they are not run again here.
 */
// doc-example: quick-start 597e23d0
import { spawn } from 'node:child_process';
import { root } from '../helpers/cli';
import { waitFor } from '../helpers/ports';

jest.setTimeout(60_000);

it('npm start -- --port 0 serves every API and the control API', async () => {
  const child = spawn('npm', ['start', '--', '--port', '0', '--log-level', 'silent'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await waitFor(() => /listening on http:\/\/\S+[\s\S]*control/.test(out), 30_000, 'npm start to listen');
    const url = /listening on (http:\/\/\S+)/.exec(out)![1]!;
    for (const api of ['b2core', 'vault', 'fib', 'sama', 'khe']) expect(out).toContain(`${url}/${api}`);
    const res = await fetch(`${url}/b2core/api/v2/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'foo@bar.com', password: 'Secret123' }),
    });
    expect(res.status).toBe(200);
  } finally {
    // npm runs the server as its child: stop the whole process group this test started.
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
  }
});
