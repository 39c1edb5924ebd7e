import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { createSecureContext } from 'node:tls';
import { StartupError } from './errors';

/** A certificate and its key, as the server serves them. */
export interface TlsMaterial {
  cert: string;
  key: string;
  /** Where the certificate is kept (the generated one, or --tls-cert). */
  certFile: string;
  /** `AB:CD:...`, the SHA-256 fingerprint a developer compares before trusting it. */
  fingerprint256: string;
  /** Made at this start (none was kept, or the kept one was about to expire). */
  generated: boolean;
}

/** Where `--https` keeps the certificate it makes, so that it is trusted once: `~/.authdouble/tls`. */
export const defaultTlsDir = (): string => process.env.AUTHDOUBLE_TLS_DIR ?? path.join(homedir(), '.authdouble', 'tls');

/** The names the generated certificate is good for. */
export const LOCAL_NAMES = { dns: ['localhost'], ip: ['127.0.0.1', '::1'] };
const CERT_DAYS = 365;
/** A kept certificate this close to expiry is replaced at start. */
const RENEW_BEFORE_MS = 7 * 24 * 3600 * 1000;

/** Reads `--tls-cert`/`--tls-key`, checking that they form a pair. */
export function readTlsFiles(certFile: string, keyFile: string): TlsMaterial {
  const read = (file: string, what: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new StartupError(`cannot read the TLS ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const cert = read(certFile, 'certificate');
  const key = read(keyFile, 'key');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new StartupError(`${certFile} is not a PEM certificate`);
  }
  try {
    createPrivateKey(key);
  } catch {
    throw new StartupError(`${keyFile} is not a PEM private key (an encrypted key is not supported)`);
  }
  if (!x509.checkPrivateKey(createPrivateKey(key))) throw new StartupError(`${keyFile} is not the key of the certificate ${certFile}`);
  checkContext(cert, key, certFile);
  return { cert, key, certFile, fingerprint256: x509.fingerprint256, generated: false };
}

/**
 * The self-signed certificate for localhost, 127.0.0.1 and ::1 kept in `dir`: read when it is
 * there and good for another week, else made (by the `selfsigned` library) and written, the key
 * readable by its owner only.
 */
export async function localCertificate(dir: string, now: Date = new Date()): Promise<TlsMaterial> {
  const certFile = path.join(dir, 'localhost.crt');
  const keyFile = path.join(dir, 'localhost.key');
  if (existsSync(certFile) && existsSync(keyFile)) {
    const kept = readTlsFiles(certFile, keyFile);
    const x509 = new X509Certificate(kept.cert);
    if (new Date(x509.validTo).getTime() - now.getTime() > RENEW_BEFORE_MS && coversLocalNames(x509)) return kept;
  }
  // selfsigned (and the X.509 library under it, about 200 modules) loads only when a certificate is made.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand
  const { generate } = require('selfsigned') as typeof import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: 'authdouble localhost' }, { name: 'organizationName', value: 'authdouble (development only)' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + CERT_DAYS * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [...LOCAL_NAMES.dns.map((value) => ({ type: 2 as const, value })), ...LOCAL_NAMES.ip.map((ip) => ({ type: 7 as const, ip }))],
      },
    ],
  });
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeAtomically(keyFile, pems.private, 0o600);
    writeAtomically(certFile, pems.cert, 0o644);
  } catch (err) {
    throw new StartupError(`cannot keep the TLS certificate in ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  checkContext(pems.cert, pems.private, certFile);
  return { cert: pems.cert, key: pems.private, certFile, fingerprint256: new X509Certificate(pems.cert).fingerprint256, generated: true };
}

function coversLocalNames(x509: X509Certificate): boolean {
  const san = x509.subjectAltName ?? '';
  return san.includes('DNS:localhost') && san.includes('IP Address:127.0.0.1');
}

function writeAtomically(file: string, text: string, mode: number): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, text, { mode });
  chmodSync(temp, mode);
  renameSync(temp, file);
}

function checkContext(cert: string, key: string, certFile: string): void {
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new StartupError(`cannot serve TLS with ${certFile}: ${(err as Error).message}`);
  }
}
