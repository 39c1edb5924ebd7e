import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { waitFor } from './ports';

export const root = path.resolve(__dirname, '../..');
/** The built CLI, as `npx authdouble` and `npm start` run it (npm test builds it first). */
export const cliPath = path.join(root, 'dist', 'cli', 'main.js');

export interface CliRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): CliRun {
  const child = spawn(process.execPath, [cliPath, ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  // 'close', not 'exit': by then stdout and stderr are read to the end, so what was printed is all there.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Starts `authdouble serve ...` and resolves with the URL it prints once it listens. */
export async function serveCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun & { url: string }> {
  const run = runCli(['serve', '--port', '0', ...args], env);
  let exited = false;
  void run.exited.then(() => (exited = true));
  await waitFor(() => exited || /listening on (https?:\/\/\S+)/.test(run.stdout()), 15_000, 'the CLI to listen');
  const m = /listening on (https?:\/\/\S+)/.exec(run.stdout());
  if (!m?.[1]) throw new Error(`the CLI did not start:\n${run.stdout()}\n${run.stderr()}`);
  return { ...run, url: m[1] };
}
