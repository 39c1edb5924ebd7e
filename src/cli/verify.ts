import { InvalidArgumentError, Option, type Command } from 'commander';
import { apiModules } from '../apis';
import { DEFAULT_TIMEOUT_MS } from '../contract/defaults';
import { StartupError } from '../errors';
import { exitCodeOf, progressLine, summary, toJson, toJUnit, type RunReport } from '../report';
import { writeReportFile } from '../report/write';

interface VerifyFlags {
  api: string;
  target: string;
  fixtures?: string;
  flows: string[];
  only?: string[];
  destructive: boolean;
  timeout: number;
  junit?: string;
  json?: string;
  otpCommand?: string;
  adminToken?: string;
  waitWindows?: number | true;
  generated?: number;
  seed?: number;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 100_000) throw new InvalidArgumentError('must be a whole number from 1 to 100000');
  return n;
}

function parseSeed(value: string): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('must be a whole number (the seed a run printed)');
  return n;
}

/** Longest rate-limit window `--wait-windows` waits out unless told a number. */
const DEFAULT_WAIT_WINDOWS_S = 900;

function parseSeconds(value: string): number {
  const s = Number(value);
  if (!/^\d+$/.test(value) || s < 1 || s > 86_400) throw new InvalidArgumentError('must be a whole number of seconds from 1 to 86400');
  return s;
}

function parseTimeout(value: string): number {
  const ms = Number(value);
  if (!/^\d+$/.test(value) || ms < 1 || ms > 600_000) throw new InvalidArgumentError('must be a whole number of milliseconds from 1 to 600000');
  return ms;
}

function parseList(value: string, previous: string[] = []): string[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError('must name at least one check');
  return [...previous, ...items];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * `authdouble verify --api <id> --target <base URL>`: the contract suite against any implementation
 * of one API. Prints a line per check as it runs and a summary; writes JUnit XML and JSON reports
 * when asked. Exit 0: every check run passed; 1: a check failed; 2: the run could not happen.
 */
export function addVerifyCommand(program: Command): Command {
  return program
    .command('verify')
    .description('check that an implementation of an API (a staging server, this mock, another mock) behaves as its spec says')
    .addOption(new Option('-a, --api <id>', 'the API to check').choices(apiModules.map((m) => m.id)).makeOptionMandatory())
    .requiredOption('-t, --target <url>', "the API's base URL, e.g. http://127.0.0.1:4600/b2core")
    .option('-f, --fixtures <path>', "the target's test accounts: a folder holding <api>.yaml, or the API's fixture file, in the format of fixtures/<api>.yaml (default: the mock's own)")
    .option('--flows <dir>', 'a folder of extra flow files (*.yaml) to run too; repeatable', collect, [])
    .option('--only <checks>', 'run only these checks: ids, prefixes (b2core.stateful), kinds (schema) or globs, comma-separated', parseList)
    .option('--destructive', 'also run the checks that lock test accounts or need expired tokens (rate limits, lockout, expiry)', false)
    .option('--timeout <ms>', 'how long each request may take', parseTimeout, DEFAULT_TIMEOUT_MS)
    .option('--junit <file>', 'write a JUnit XML report (its folder is created)')
    .option('--json <file>', 'write a JSON report (its folder is created)')
    .option('--otp-command <cmd>', 'a shell command that prints the 2FA code (AUTHDOUBLE_OTP_EMAIL names the user)')
    .addOption(new Option('--admin-token <token>', "the target's control API token, if it is an authdouble server with one").env('AUTHDOUBLE_ADMIN_TOKEN'))
    .option('--generated <n>', "also run n negative checks generated from the spec's schemas (missing, mistyped, extra and oversized fields, malformed JSON, missing or garbled Authorization)", parseCount)
    .option('--seed <n>', 'the seed of --generated, to re-run the same checks (each run prints its seed)', parseSeed)
    .option(
      '--wait-windows [seconds]',
      `on a target without the control API, wait out a rate-limit window left by an earlier check or run (429 with Retry-After, up to this many seconds, default ${DEFAULT_WAIT_WINDOWS_S}) instead of skipping the check`,
      parseSeconds,
    )
    .action(async (flags: VerifyFlags) => {
      let report: RunReport;
      try {
        // Loaded when used: `serve` starts faster without the contract suite.
        const { verify } = await import('../contract');
        report = await verify({
          api: flags.api,
          target: flags.target,
          fixtures: flags.fixtures,
          flows: flags.flows,
          only: flags.only,
          destructive: flags.destructive,
          timeoutMs: flags.timeout,
          otpCommand: flags.otpCommand,
          adminToken: flags.adminToken,
          generated: flags.generated,
          seed: flags.seed,
          waitWindowsS: flags.waitWindows === true ? DEFAULT_WAIT_WINDOWS_S : flags.waitWindows,
          onWait: ({ check, seconds, left }) =>
            process.stdout.write(`wait ${check}: a rate-limit window of ${seconds} s is open on the target; ${left} s left\n`),
          onStart: ({ base, checks, control, generated }) =>
            process.stdout.write(
              `${generated ? `generated ${generated.count} checks from the spec with seed ${generated.seed} (re-run them with --seed ${generated.seed})\n` : ''}verify ${flags.api} against ${base}: ${checks} checks; ${
                control
                  ? 'control API found: each check runs in its own state session'
                  : "no control API: checks share the target's state (destructive checks use their own accounts and run last)"
              }\n`,
            ),
          onResult: (result) => process.stdout.write(`${progressLine(result)}\n`),
        });
      } catch (err) {
        if (err instanceof StartupError) throw new StartupError(`verify: ${err.message}`);
        throw new StartupError(`verify could not run: ${(err as Error).message}`);
      }
      process.stdout.write(`${summary(report)}\n`);
      write(flags.junit, () => toJUnit(report), '--junit');
      write(flags.json, () => toJson(report), '--json');
      process.exitCode = exitCodeOf(report);
    });
}

function write(file: string | undefined, render: () => string, flag: string): void {
  if (!file) return;
  try {
    writeReportFile(file, render());
  } catch (err) {
    throw new StartupError(`verify: cannot write the ${flag} report to ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
