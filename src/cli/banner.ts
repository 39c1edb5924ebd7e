import { ADMIN_PREFIX } from '../admin';
import type { RunningServer } from '../server';

/** What `authdouble serve` prints once it listens: the URL, then where each API and the control API are. */
export function listeningBanner(running: Pick<RunningServer, 'prefixes' | 'url' | 'options'>): string {
  const lines = [...running.prefixes].map(([id, prefix]) => `  ${id.padEnd(8)} ${running.url}${prefix}`);
  if (running.options.admin) lines.push(`  ${'control'.padEnd(8)} ${running.url}${ADMIN_PREFIX}`);
  return `authdouble listening on ${running.url}\n${lines.join('\n')}\n`;
}

/** With TLS: the certificate served, and whether it was made at this start. */
export function tlsBanner(tls: { certFile: string; fingerprint256: string; generated: boolean }): string {
  const made = tls.generated ? 'made now, self-signed' : 'kept from an earlier start';
  return `TLS certificate ${tls.certFile} (${made})\n  SHA-256 ${tls.fingerprint256}\n`;
}
