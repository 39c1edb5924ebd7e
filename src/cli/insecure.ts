import https from 'node:https';
import type { Command } from 'commander';

/**
 * `--insecure` for the commands that talk to a target (verify, replay, record): an https target
 * with a self-signed certificate (`authdouble serve --https`, say) is accepted. Applies to this
 * process's fetch and https requests alike, so the commands need no TLS code of their own.
 */
export function addInsecureOption(command: Command): void {
  command.option('-k, --insecure', 'accept an https target whose certificate is not trusted (self-signed, as authdouble --https makes)');
  command.hook('preAction', (_program, action) => {
    if (action.opts().insecure === true) acceptAnyCertificate();
  });
}

export function acceptAnyCertificate(): void {
  // undici (about 100 modules) loads only when --insecure is given, not on every start of the CLI.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand
  const { Agent, setGlobalDispatcher } = require('undici') as typeof import('undici');
  setGlobalDispatcher(new Agent({ connect: { rejectUnauthorized: false } }));
  https.globalAgent.options.rejectUnauthorized = false;
}
