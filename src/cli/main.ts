#!/usr/bin/env node
import { statSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { apiModules } from '../apis';
import { StartupError } from '../errors';
import type { LogLevel } from '../logger';
import { checkStore, DEFAULT_OPTIONS, type ServerOptions } from '../options';
import { leanHeap } from '../heap';
import { startServer } from '../server';
import { fixtureFilesFrom } from '../fixtures/source';
import { parseWorkers, serveWorkers, workerCount, workersRefusal } from '../cluster';
import { listeningBanner, tlsBanner } from './banner';
import { addFibSignCommand } from './fib-sign';
import { addVerifyCommand } from './verify';
import { addRecordCommand } from './record';
import { addReplayCommand } from './replay';
import { addInsecureOption } from './insecure';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../paths';
import { didYouMean } from '../suggest';

/** Exit codes: 0 ok, 1 a run that failed, 2 could not run (bad flags, bad spec or fixture). */
export const EXIT_USAGE = 2;

const knownApis = apiModules.map((m) => m.id);

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError('must be a whole number from 0 to 65535');
  return port;
}

function parseApis(value: string, previous: string[] = []): string[] {
  const ids = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = ids.filter((id) => !knownApis.includes(id));
  if (ids.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`unknown API "${unknown.join(', ') || value}"; known: ${knownApis.join(', ')}`);
  }
  return [...previous, ...ids];
}

function parseBytes(value: string): number {
  const m = /^(\d+)\s*(b|kb|mb)?$/i.exec(value.trim());
  if (!m) throw new InvalidArgumentError('must be a size such as 102400, 100kb or 1mb');
  const unit = (m[2] ?? 'b').toLowerCase();
  const bytes = Number(m[1]) * (unit === 'mb' ? 1024 * 1024 : unit === 'kb' ? 1024 : 1);
  if (bytes <= 0) throw new InvalidArgumentError('must be more than 0');
  return bytes;
}

interface ServeFlags {
  port: number;
  host: string;
  api?: string[];
  fixtures?: string;
  specs?: string;
  strict: boolean;
  bodyLimit?: number;
  logLevel: LogLevel;
  admin: boolean;
  adminToken?: string;
  store: string;
  stateFile?: string;
  keysFile?: string;
  cors: boolean;
  corsOrigin?: string[];
  https: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsDir?: string;
  maxConnections?: number;
  fallback?: string;
  watch: boolean;
  workers?: number | 'auto';
}

function parseCount(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('must be a whole number, at least 1');
  return Number(value);
}

function parseWorkerCount(value: string): number | 'auto' {
  try {
    return parseWorkers(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function parseStore(value: string): string {
  try {
    return checkStore(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function parseOrigins(value: string, previous: string[] = []): string[] {
  const origins = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (origins.length === 0) throw new InvalidArgumentError('needs at least one origin, such as http://localhost:5173');
  return [...previous, ...origins];
}

/** One line per command in `authdouble --help` (each command's own --help says more). */
const SUMMARIES: Record<string, string> = {
  serve: 'serve the mock APIs over HTTP (the default)',
  'fib-sign': 'sign an e-mail for FIB sign-in with a key',
  verify: 'check a server against an API spec',
  record: 'record a session through a proxy into a HAR file',
  replay: 'replay HAR files and scenarios against a target',
  help: 'show the help of a command',
};

function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

export function buildProgram(): Command {
  const program = new Command('authdouble')
    .description('Stateful mock and contract tests for authentication APIs: ' + knownApis.join(', '))
    .version(packageVersion(), '-V, --version', 'print the version')
    .configureHelp({ subcommandDescription: (cmd) => SUMMARIES[cmd.name()] ?? cmd.description().split('\n')[0] ?? '' })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (str, write) => write(str) });

  program
    .command('serve', { isDefault: true })
    .description('serve the mock APIs over HTTP')
    .addOption(
      new Option('-p, --port <port>', 'TCP port (0 picks a free one)')
        .env('PORT')
        .argParser(parsePort)
        .default(DEFAULT_OPTIONS.port),
    )
    .option('-H, --host <host>', 'interface to listen on; loopback by default', DEFAULT_OPTIONS.host)
    .option(
      '-a, --api <ids>',
      `serve only these APIs (${knownApis.join(', ')}); repeat or comma-separate. One API is served at / instead of /<id>`,
      parseApis,
    )
    .option('-f, --fixtures <path>', "a folder of <api>.yaml fixture files, or one API's fixture file (APIs without one use the embedded defaults)")
    .option('--specs <dir>', 'folder of <api>.yaml OpenAPI specs to serve instead of the embedded ones (the control API keeps its built-in admin.yaml)')
    .option('--strict', 'check every response against the spec; a violation becomes a 500 problem', false)
    .option('--body-limit <size>', 'largest request body accepted (bytes, or 100kb, 1mb)', parseBytes)
    .addOption(
      new Option('--log-level <level>', 'what to log; info logs one line per request')
        .choices(['silent', 'error', 'warn', 'info'])
        .default('info'),
    )
    .addOption(
      new Option('--admin-token <token>', 'require Authorization: Bearer <token> on the control API (/__admin)').env(
        'AUTHDOUBLE_ADMIN_TOKEN',
      ),
    )
    .option('--no-admin', 'do not serve the control API (/__admin) at all')
    .option('-w, --watch', 'reload an API when its fixture file or spec changes; its state is reset to the new fixture, and a broken edit keeps the last good version', false)
    .option('--fallback <url>', 'forward requests that no API serves, unchanged, to this http(s) URL instead of answering 404')
    .addOption(
      new Option(
        '--store <store>',
        'where the state lives: memory (this process) or a Redis URL (redis://host:port/db, rediss://user:password@host:port) shared by every instance pointed at it',
      )
        .env('AUTHDOUBLE_STORE')
        .default(DEFAULT_OPTIONS.store)
        .argParser(parseStore),
    )
    .option(
      '--workers <n>',
      'serve with n processes on one port (Node cluster), or auto for one per core; needs a shared --store redis://…',
      parseWorkerCount,
    )
    .option(
      '--state-file <file>',
      'keep sign-ups, e-mail changes, revocations, tokens, outboxes and clocks in this file across restarts (saved every 5 s while they change, and on SIGTERM/SIGINT)',
    )
    .addOption(
      new Option(
        '--keys-file <file>',
        'keep the signing keys in this file, so tokens verify after a restart (default: ~/.cache/authdouble/keys.json, or the state file with --state-file)',
      ).env('AUTHDOUBLE_KEYS_FILE'),
    )
    .option(
      '--cors-origin <origins>',
      'answer CORS only for these page origins (e.g. http://localhost:5173); repeat or comma-separate. Default: any origin',
      parseOrigins,
    )
    .option('--max-connections <n>', `open connections at most, WebSockets included; one more is closed at once (default ${DEFAULT_OPTIONS.maxConnections})`, parseCount)
    .option('--no-cors', 'send no CORS headers and answer no preflight (browsers on other origins are refused)')
    .option(
      '--https',
      'serve https:// and wss:// with a self-signed certificate for localhost, 127.0.0.1 and ::1, made at the first start and kept (see --tls-dir), so that it is trusted once',
      false,
    )
    .option('--tls-cert <file>', 'serve https:// with this PEM certificate (needs --tls-key)')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert')
    .addOption(
      new Option('--tls-dir <dir>', 'where --https keeps its certificate (default ~/.authdouble/tls)').env('AUTHDOUBLE_TLS_DIR'),
    )
    .action(async (flags: ServeFlags, command: Command) => {
      const apis = flags.api ?? knownApis;
      // A folder stays a folder (its other APIs' files are read as before); a file is one API's fixture.
      const fixtureFiles =
        flags.fixtures === undefined
          ? undefined
          : fixtureFilesFrom(flags.fixtures, { apis, api: apis.length === 1 ? apis[0] : undefined, known: knownApis });
      const fixturesIsFolder = flags.fixtures !== undefined && statSync(flags.fixtures).isDirectory();
      const options: Partial<ServerOptions> = {
        port: flags.port,
        host: flags.host,
        apis: flags.api ?? [],
        root: flags.api?.length === 1,
        fixturesDir: fixturesIsFolder ? flags.fixtures : undefined,
        fixtureFiles: fixturesIsFolder ? undefined : fixtureFiles,
        specDir: flags.specs,
        strict: flags.strict,
        bodyLimit: flags.bodyLimit,
        logLevel: flags.logLevel,
        admin: flags.admin,
        adminToken: flags.adminToken,
        store: flags.store,
        stateFile: flags.stateFile,
        // With --state-file the keys live in it: AUTHDOUBLE_KEYS_FILE from the environment then does
        // not apply (an explicit --keys-file with --state-file is refused, as options.ts says).
        // So does a Redis store, which keeps the keys itself.
        keysFile: (flags.stateFile !== undefined || flags.store !== 'memory') && command.getOptionValueSource('keysFile') === 'env' ? undefined : flags.keysFile,
        cors: flags.cors,
        corsOrigins: flags.corsOrigin,
        https: flags.https,
        tlsCert: flags.tlsCert,
        tlsKey: flags.tlsKey,
        tlsDir: flags.tlsDir,
        maxConnections: flags.maxConnections,
        fallback: flags.fallback,
        watch: flags.watch,
      };
      const refusal = workersRefusal(flags.workers, flags.store);
      if (refusal) throw new StartupError(refusal);
      const workers = workerCount(flags.workers);
      if (workers > 1) process.exit(await serveWorkers(workers, options));
      const running = await startServer(options);
      // One write: whoever reads up to "listening on" has the certificate's lines too.
      process.stdout.write(listeningBanner(running) + (running.tls ? tlsBanner(running.tls) : ''));
      leanHeap(running.logger);
      // In-flight requests finish, then the state file (if any) is saved; a second signal stops at once.
      const stop = (signal: string) => {
        const state = running.stateFile?.file;
        running.logger.info(`${signal}: shutting down${state ? `; the state goes to ${state}` : ''}`);
        running.close().then(
          () => process.exit(0),
          (err: unknown) => {
            process.stderr.write(`authdouble: could not save the state to ${state}: ${(err as Error).message}\n`);
            process.exit(1);
          },
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      // A closed terminal: save and stop as on SIGTERM, rather than die with the state unsaved.
      process.once('SIGHUP', stop);
    });
  addFibSignCommand(program);
  addVerifyCommand(program);
  addRecordCommand(program);
  addReplayCommand(program);
  for (const name of ['verify', 'record', 'replay']) {
    const command = program.commands.find((c) => c.name() === name);
    if (command) addInsecureOption(command);
  }
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    const program = buildProgram();
    // Without this, a mistyped command would become an argument of the default command (serve).
    const [first] = argv;
    const commands = program.commands.flatMap((c) => [c.name(), ...c.aliases()]).concat('help');
    if (first !== undefined && !first.startsWith('-') && !commands.includes(first)) {
      process.stderr.write(`error: unknown command '${first}'${didYouMean(first, commands)}; commands: ${commands.join(', ')}\n(run with --help for usage)\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    if (err instanceof StartupError) {
      process.stderr.write(`authdouble: ${err.message}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    throw err;
  }
}

if (require.main === module) void main(process.argv.slice(2));
