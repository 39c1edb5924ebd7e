/**
 * The README's shell sessions, extracted and run with bash against a fresh `authdouble serve`
 * (the built CLI; `http://127.0.0.1:4600` in the text becomes the server's URL, `npx authdouble` the
 * built CLI). Where the README shows what a command prints (the lines after a `$ ` command, or a
 * `# {...}` comment after it), the real output must match it, with these wildcards: `...` and
 * `<...>` stand for anything, and tokens, dates, ids and long numbers for any such value.
 * Whitespace is not compared. For `curl -i`, the status line and the headers shown must be there.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cliPath, serveCli } from '../helpers/cli';
import { exampleById } from '../helpers/doc-examples';

jest.setTimeout(60_000);

interface Step {
  command: string;
  expected?: string;
}

/** `$ cmd` + continuation lines, then output lines; or plain lines with `# {output}` comments. */
function steps(text: string): Step[] {
  const lines = text.split('\n');
  const prompt = lines.some((l) => l.startsWith('$ '));
  const out: Step[] = [];
  let i = 0;
  while (i < lines.length) {
    let line = lines[i]!;
    if (prompt ? !line.startsWith('$ ') : line.trim() === '' || /^#(?! [{[]| [0-9a-f]{32,}$)/.test(line.trim())) {
      i++;
      continue;
    }
    if (!prompt && /^# /.test(line)) {
      // An output comment: it belongs to the step before.
      const last = out.at(-1);
      if (last) last.expected = `${last.expected ?? ''}${line.slice(2)}\n`;
      i++;
      continue;
    }
    if (prompt) line = line.slice(2);
    let command = line;
    let open = quoteOpen(line);
    while ((command.endsWith('\\') || open) && i + 1 < lines.length) {
      i++;
      command += `\n${lines[i]!}`;
      if (quoteOpen(lines[i]!)) open = !open;
    }
    i++;
    let expected = '';
    if (prompt) {
      while (i < lines.length && !lines[i]!.startsWith('$ ')) {
        if (!lines[i]!.startsWith('#')) expected += `${lines[i]!}\n`;
        i++;
      }
    }
    out.push({ command, expected: expected.trim() === '' ? undefined : expected });
  }
  return out;
}

function quoteOpen(line: string): boolean {
  return (line.replace(/"[^"]*"/g, '').match(/'/g) ?? []).length % 2 === 1;
}

/** The expected text as a regular expression, with the wildcards described above. */
function pattern(expected: string): RegExp {
  const squeezed = expected.replace(/\s+/g, '');
  const WILD = '\u0000';
  const marked = squeezed
    .replace(/\.\.\./g, WILD)
    .replace(/<[^>]*>/g, WILD)
    .replace(/eyJ[\w.-]*/g, WILD)
    .replace(/\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)?/g, WILD)
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, WILD)
    .replace(/"[0-9a-f]{24}"/g, `"${WILD}"`)
    .replace(/\d{6,}/g, WILD);
  const source = marked
    .split(WILD)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[\\s\\S]*?');
  return new RegExp(`^${source}$`);
}

function check(expected: string, actual: string, command: string): void {
  if (/^HTTP\/1\.1 /.test(expected)) {
    const [head = '', ...body] = expected.split(/\n\s*\n/);
    const [actualHead = '', ...actualBody] = actual.replace(/\r/g, '').split(/\n\n/);
    for (const line of head.split('\n').filter(Boolean)) {
      const found = actualHead.split('\n').some((l) => pattern(line).test(l.replace(/\s+/g, '')) || pattern(line.toLowerCase()).test(l.toLowerCase().replace(/\s+/g, '')));
      if (!found) throw new Error(`${command}\nexpected the line\n  ${line}\nin\n${actualHead}`);
    }
    if (body.join('').trim() !== '') check(body.join('\n\n'), actualBody.join('\n\n'), command);
    return;
  }
  if (!pattern(expected).test(actual.replace(/\s+/g, ''))) {
    throw new Error(`${command}\nprinted:\n${actual}\nbut the documentation shows:\n${expected}`);
  }
}

/** Runs the steps in one bash, each one's output captured apart, and checks what the text shows. */
function runSteps(all: Step[], url: string, cwd: string): void {
  const MARK = '__authdouble_step__';
  const script = [
    'set -o pipefail',
    `npx() { if [ "$1" = authdouble ]; then shift; node ${JSON.stringify(cliPath)} "$@"; else command npx "$@"; fi; }`,
    `authdouble() { node ${JSON.stringify(cliPath)} "$@"; }`,
    ...all.flatMap((s) => [s.command.replace(/(http|ws):\/\/127\.0\.0\.1:4600/g, (_m, scheme: string) => url.replace(/^http/, scheme)), `echo "${MARK}$?"`]),
  ].join('\n');
  const result = spawnSync('bash', ['-c', script], { cwd, encoding: 'utf8', timeout: 45_000, env: { ...process.env, NODE_PATH: path.join(__dirname, '../../node_modules') } });
  const outputs = result.stdout.split(new RegExp(`${MARK}(\\d+)\\n`));
  all.forEach((step, i) => {
    const output = outputs[i * 2] ?? '';
    const status = outputs[i * 2 + 1];
    if (status !== '0') throw new Error(`step ${i + 1} exited ${status}:\n${step.command}\n${output}\n${result.stderr}`);
    if (step.expected !== undefined) check(step.expected, output, step.command);
  });
}

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(path.join(tmpdir(), 'authdouble-doc-'));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

async function runExamples(ids: string[]): Promise<void> {
  const cli = await serveCli(['--log-level', 'silent']);
  try {
    runSteps(ids.flatMap((id) => steps(exampleById(id).text)), cli.url, cwd);
  } finally {
    await cli.stop();
  }
}

describe('README shell sessions, run as shown', () => {
  // doc-example: b2core-curl extracted
  it('b2core with curl', () => runExamples(['b2core-curl']));
  // doc-example: vault-curl-1 extracted
  // doc-example: vault-curl-2 extracted
  // doc-example: vault-curl-3 extracted
  // doc-example: vault-curl-4 extracted
  it('vault with curl and jq', () => runExamples(['vault-curl-1', 'vault-curl-2', 'vault-curl-3', 'vault-curl-4']));
  // doc-example: fib-sign extracted
  // doc-example: fib-curl extracted
  // doc-example: fib-curl-errors extracted
  it('fib: fib-sign, then a session with curl, then the errors', () => runExamples(['fib-sign', 'fib-curl', 'fib-curl-errors']));
  // doc-example: sama-curl extracted
  it('sama with curl and a WebSocket', () => runExamples(['sama-curl']));
  // doc-example: khe-curl extracted
  it('khe with curl', () => runExamples(['khe-curl']));
  // doc-example: admin-curl extracted
  it('the control API with curl', () => runExamples(['admin-curl']));

  it('a changed output is caught (the comparison can fail)', () => {
    expect(() => check('{"code":"invalid_token","message":"The token is unknown or has been revoked"}', '{"code":"invalid_token","message":"Gone"}', 'x')).toThrow(/documentation shows/);
    expect(() => check('cbd3bcd39ea758436764c1cc7a3fb2c51e02f7e85a8766eb63f1738320048acf', 'cbd3bcd39ea758436764c1cc7a3fb2c51e02f7e85a8766eb63f1738320048acE', 'x')).toThrow();
    expect(() => check('{"token":"eyJabc...","expiresAt":"2026-01-01T00:00:00Z"}', '{"token":"eyJxyz.def","expiresAt":"2027-02-02T10:00:00+00:00"}', 'x')).not.toThrow();
  });
});
