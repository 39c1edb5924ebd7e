import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli, serveCli, type CliRun } from '../helpers/cli';

jest.setTimeout(60_000);

async function finished(run: CliRun): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

describe('authdouble serve --https (the built CLI)', () => {
  let dir: string;
  let server: CliRun & { url: string };
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'https-cli-'));
    server = await serveCli(['--https', '--tls-dir', dir, '--log-level', 'silent']);
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the https URLs, where the certificate is kept and its SHA-256 fingerprint', () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const file = path.join(dir, 'localhost.crt');
    const fingerprint = new X509Certificate(readFileSync(file)).fingerprint256;
    expect(server.stdout()).toContain(`TLS certificate ${file} (made now, self-signed)\n  SHA-256 ${fingerprint}\n`);
    expect(server.stdout()).toContain(`  sama     ${server.url}/sama\n`);
  });

  it('verify refuses the self-signed target, and accepts it with --insecure', async () => {
    const target = `${server.url}/khe`;
    const plain = await finished(runCli(['verify', '--api', 'khe', '--target', target]));
    expect(plain.code).not.toBe(0);
    expect(`${plain.stdout}${plain.stderr}`).toMatch(/SELF_SIGNED|DEPTH_ZERO|certificate/i);
    const insecure = await finished(runCli(['verify', '--api', 'khe', '--target', target, '--insecure']));
    expect(insecure.stdout).toMatch(/\d+ passed, 0 failed/);
    expect(insecure.code).toBe(0);
  });

  it('refuses half a certificate with exit code 2', async () => {
    const run = await finished(runCli(['serve', '--port', '0', '--tls-cert', path.join(dir, 'localhost.crt')]));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/give both --tls-cert and --tls-key/);
  });
});
