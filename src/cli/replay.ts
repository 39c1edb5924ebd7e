import { InvalidArgumentError, Option, type Command } from 'commander';
import { EXIT_CANNOT_RUN, exitCodeOf, progressLine, summary, toJUnit, toJson } from '../report';
import { writeReportFile } from '../report/write';

interface ReplayFlags {
  target?: string;
  fixtures?: string;
  specs?: string;
  timeout: number;
  junit?: string;
  json?: string;
  session?: string;
  adminToken?: string;
}

function parseTimeout(value: string): number {
  const ms = Number(value);
  if (!/^\d+$/.test(value) || ms < 1 || ms > 600_000) throw new InvalidArgumentError('must be a whole number of milliseconds from 1 to 600000');
  return ms;
}

/**
 * `authdouble replay FILE... [--target URL]`: re-sends recorded HAR sessions and runs fixture
 * scenarios, checking every response against the spec and the recording (or the step's `expect`).
 * Reports and exit codes are verify's: 0 passed, 1 a check failed, 2 could not run.
 */
export function addReplayCommand(program: Command): Command {
  return program
    .command('replay')
    .description('replay HAR recordings (.har) and fixture scenarios (.yaml) against a target, checking each response against the spec and the recording')
    .argument('<files...>', 'HAR files and scenario files, run in this order')
    .option('-t, --target <url>', "the API's base URL on the target, e.g. http://127.0.0.1:4600/b2core (default: a fresh in-process authdouble)")
    .option('-f, --fixtures <path>', "a folder of <api>.yaml fixture files, or one API's fixture file: where redacted credentials are filled from, and what the default mock serves")
    .option('--specs <dir>', 'folder of <api>.yaml OpenAPI specs to check against instead of the embedded ones')
    .option('--timeout <ms>', 'milliseconds to wait for each response', parseTimeout, 10_000)
    .option('--junit <file>', 'also write the results as JUnit XML (its folder is created)')
    .option('--json <file>', 'also write the results as JSON (its folder is created)')
    .option('--session <name>', 'use this X-Authdouble-Session on the target instead of a fresh one per file')
    .addOption(new Option('--admin-token <token>', "the target's control API token").env('AUTHDOUBLE_ADMIN_TOKEN'))
    .action(async (files: string[], flags: ReplayFlags) => {
      // Loaded when used: `serve` starts faster without the replayer.
      const { runReplay } = await import('../replay/run');
      const outcome = await runReplay({
        files,
        target: flags.target,
        fixtures: flags.fixtures,
        specDir: flags.specs,
        timeoutMs: flags.timeout,
        session: flags.session,
        adminToken: flags.adminToken,
        onResult: (r) => process.stdout.write(`${progressLine(r)}\n`),
        onNote: (line) => process.stdout.write(`note: ${line}\n`),
      });
      if (!outcome.ok) {
        process.stderr.write(`authdouble replay: ${outcome.message}\n`);
        process.exitCode = EXIT_CANNOT_RUN;
        return;
      }
      const { report } = outcome;
      process.stdout.write(`${summary(report)}\n`);
      try {
        if (flags.junit) writeReportFile(flags.junit, toJUnit(report));
        if (flags.json) writeReportFile(flags.json, toJson(report));
      } catch (err) {
        process.stderr.write(`authdouble replay: cannot write the report: ${(err as Error).message}\n`);
        process.exitCode = EXIT_CANNOT_RUN;
        return;
      }
      process.exitCode = exitCodeOf(report);
    });
}
