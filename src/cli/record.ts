import { InvalidArgumentError, type Command } from 'commander';
import { apiModules } from '../apis';
import { EXIT_CANNOT_RUN } from '../report';
import type { Recorder } from '../replay/recorder';

interface RecordFlags {
  api: string;
  target: string;
  out: string;
  port: number;
  host: string;
  redact: boolean;
  specs?: string;
  timeout: number;
}

function parseApi(value: string): string {
  const known = apiModules.map((m) => m.id);
  if (!known.includes(value)) throw new InvalidArgumentError(`unknown API "${value}"; known: ${known.join(', ')}`);
  return value;
}

function parseTarget(value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value;
  } catch {
    // below
  }
  throw new InvalidArgumentError('must be an http(s) URL, the base URL of the API on the real service');
}

function parseNumber(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    return n;
  };
}

/**
 * `authdouble record --api ID --target URL --out FILE`: a proxy on 127.0.0.1 that forwards to the
 * real service, checks each exchange against the spec as it happens, and writes a HAR (secrets
 * redacted unless --no-redact) after every exchange and on SIGINT/SIGTERM. WebSocket upgrades are
 * proxied too, their frames written as `_webSocketMessages` (src/replay/ws-proxy.ts).
 */
export function addRecordCommand(program: Command): Command {
  return program
    .command('record')
    .description('record a session through a proxy into a HAR file (WebSocket frames included), checking each exchange against the spec')
    .requiredOption('-a, --api <id>', `the API the service speaks (${apiModules.map((m) => m.id).join(', ')})`, parseApi)
    .requiredOption('-t, --target <url>', "the real service's base URL for the API (the spec's paths are appended to it)", parseTarget)
    .requiredOption('-o, --out <file>', 'the HAR file to write')
    .option('-p, --port <port>', 'port of the proxy (0 picks a free one)', parseNumber(0, 65535), 0)
    .option('-H, --host <host>', 'interface the proxy listens on', '127.0.0.1')
    .option('--no-redact', 'keep passwords, tokens, cookies and signatures in the file (they are redacted by default)')
    .option('--specs <dir>', 'folder of <api>.yaml OpenAPI specs to check against instead of the embedded ones')
    .option('--timeout <ms>', 'milliseconds to wait for the service', parseNumber(1, 3_600_000), 30_000)
    .action(async (flags: RecordFlags) => {
      const problem = await unreachable(flags.target, flags.timeout);
      if (problem !== undefined) {
        process.stderr.write(`authdouble record: cannot reach the target ${flags.target}: ${problem}\n`);
        process.exitCode = EXIT_CANNOT_RUN;
        return;
      }
      let recorder: Recorder;
      try {
        // Loaded when used: `serve` starts faster without the recorder.
        const { startRecorder } = await import('../replay/recorder');
        recorder = await startRecorder({
          api: flags.api,
          target: flags.target,
          out: flags.out,
          port: flags.port,
          host: flags.host,
          redact: flags.redact,
          specDir: flags.specs,
          timeoutMs: flags.timeout,
          log: (line) => process.stdout.write(`${line}\n`),
        });
      } catch (err) {
        process.stderr.write(`authdouble record: ${(err as Error).message}\n`);
        process.exitCode = EXIT_CANNOT_RUN;
        return;
      }
      process.stdout.write(
        `authdouble record: proxy listening on ${recorder.url} -> ${flags.target}\n` +
          `  writing ${flags.out} (${flags.redact ? 'secrets redacted' : 'NOT redacted: the file holds passwords and tokens'}); stop with Ctrl-C\n`,
      );
      const stop = (signal: string) => {
        void recorder.close().then(() => {
          process.stdout.write(`${signal}: wrote ${recorder.entries} exchanges to ${flags.out} (${recorder.violations} broke the spec)\n`);
          process.exit(0);
        });
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}

/** undefined when the target answers HTTP at all; else why not. */
async function unreachable(target: string, timeoutMs: number): Promise<string | undefined> {
  try {
    const res = await fetch(target, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return undefined;
  } catch (err) {
    const { describeFetchError } = await import('../replay/send');
    return describeFetchError(err, timeoutMs);
  }
}
