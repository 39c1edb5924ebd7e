import { writeFileSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { apiModules } from '../apis';
import { DEFAULT_TIMEOUT_MS } from '../contract/defaults';
import { StartupError } from '../errors';
import { exitCodeOf, progressLine, summary, toJson, toJUnit, type RunReport } from '../report';

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
    .option('-f, --fixtures <file>', "the target's test accounts, in the format of fixtures/<api>.yaml (default: the mock's own)")
    .option('--flows <dir>', 'a folder of extra flow files (*.yaml) to run too; repeatable', collect, [])
    .option('--only <checks>', 'run only these checks: ids, prefixes (b2core.stateful), kinds (schema) or globs, comma-separated', parseList)
    .option('--destructive', 'also run the checks that lock test accounts or need expired tokens (rate limits, lockout, expiry)', false)
    .option('--timeout <ms>', 'how long each request may take', parseTimeout, DEFAULT_TIMEOUT_MS)
    .option('--junit <file>', 'write a JUnit XML report')
    .option('--json <file>', 'write a JSON report')
    .option('--otp-command <cmd>', 'a shell command that prints the 2FA code (AUTHDOUBLE_OTP_EMAIL names the user)')
    .addOption(new Option('--admin-token <token>', "the target's control API token, if it is an authdouble server with one").env('AUTHDOUBLE_ADMIN_TOKEN'))
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
          onStart: ({ base, checks, control }) =>
            process.stdout.write(
              `verify ${flags.api} against ${base}: ${checks} checks; ${
                control ? 'control API found: each check runs in its own state session' : 'no control API: checks share the target\'s state'
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
    writeFileSync(file, render());
  } catch (err) {
    throw new StartupError(`verify: cannot write the ${flag} report to ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
