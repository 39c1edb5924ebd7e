import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { StartupError } from './errors';

/** Why listening on host:port failed, in words, for the errors Node raises there. */
const REASONS: Record<string, string> = {
  EADDRINUSE: 'the port is already in use (pick another, or 0 for a free one)',
  EACCES: 'permission denied (ports below 1024 need privileges; pick another)',
  EADDRNOTAVAIL: 'the address is not one of this machine’s',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved (DNS did not answer)',
};

/** A failure to listen (or to resolve the host) as a StartupError: one line, no stack. */
export function listenError(err: unknown, host: string, port: number): Error {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reason = code !== undefined ? REASONS[code] : undefined;
  if (reason === undefined) return err as Error;
  return new StartupError(`cannot listen on ${host}:${port}: ${reason} (${code})`);
}

/** Resolves a host name before listening, so that a typo is a start-up error like a busy port. */
export async function resolveHost(host: unknown, port: unknown): Promise<void> {
  // `[::]` as in a URL is the IPv6 address `::` (options strip the brackets).
  if (typeof host !== 'string' || host === '' || isIP(host) !== 0 || isIP(host.replace(/^\[(.*)\]$/, '$1')) !== 0) return;
  try {
    await lookup(host);
  } catch (err) {
    throw listenError(err, host, typeof port === 'number' ? port : 0);
  }
}
