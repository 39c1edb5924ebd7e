import { normalizeOrigin } from './engine/cors';
import { StartupError } from './errors';
import { parseFallbackUrl } from './fallback-url';
import { checkApiFolder } from './fixtures/load';
import type { LogLevel } from './logger';
import { defaultFixturesDir, defaultSpecDir } from './paths';

/** Everything the server can be told. CLI flags and environment become one of these, once. */
export interface ServerOptions {
  /** Interface to listen on. Loopback unless told otherwise. */
  host: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  /** APIs to serve, by id; all of them when empty. */
  apis: string[];
  /** Serve the single API at `/` instead of under `/<id>` (what `--api X` on the CLI does). */
  root: boolean;
  /** Folder of `<api>.yaml` fixture files; APIs without a file there use the embedded defaults. */
  fixturesDir: string;
  /** One API's fixture file by API id (`--fixtures some/b2core.yaml`); it wins over `fixturesDir`. */
  fixtureFiles: Record<string, string>;
  /** Folder of `<api>.yaml` OpenAPI specs. */
  specDir: string;
  /** Hold every response to the spec: a non-conforming one becomes a 500 problem (tests run this way). */
  strict: boolean;
  /** Largest request body accepted, in bytes; larger ones get the API's 413. */
  bodyLimit: number;
  logLevel: LogLevel;
  /** Serve the control API under /__admin. */
  admin: boolean;
  /** Reload an API when its fixture file or spec changes (a broken edit keeps the last good version). */
  watch: boolean;
  /** Requests no API serves are forwarded, unchanged, to this http(s) URL instead of getting 404. */
  fallback?: string;
  /** When set, the control API needs `Authorization: Bearer <adminToken>`. */
  adminToken?: string;
  /**
   * Where the state lives: `memory` (this process, the default) or a Redis URL (`redis://host:port/db`,
   * `rediss://user:password@host:port`), shared by every instance pointed at it.
   */
  store: string;
  /** Keep the state (sign-ups, tokens, revocations, outboxes, clocks) in this file across restarts. */
  stateFile?: string;
  /** How often the state file is saved while the state changes, in milliseconds. */
  stateSaveIntervalMs: number;
  /**
   * Keep the signing keys in this file, so that tokens verify after a restart. Default: one file per
   * user under the OS cache folder (`~/.cache/authdouble/keys.json` on Linux). With `stateFile`,
   * the keys are kept in the state file instead, and this must be left unset.
   */
  keysFile?: string;
  /** Answer browsers' CORS requests (preflights, Access-Control-* headers). On by default: see SECURITY.md. */
  cors: boolean;
  /** Serve everything over TLS (https://, wss://): with tlsCert/tlsKey, or a self-signed certificate for localhost kept in tlsDir. */
  https: boolean;
  /** PEM certificate (chain) to serve; needs tlsKey, and implies https. */
  tlsCert?: string;
  /** PEM private key of tlsCert. */
  tlsKey?: string;
  /** Where https keeps the certificate it makes (default `~/.authdouble/tls`, or AUTHDOUBLE_TLS_DIR). */
  tlsDir?: string;
  /** Only these origins (`http://localhost:5173`) get CORS headers and may open a WebSocket; empty: any origin. */
  corsOrigins: string[];
  /** Open connections at most (WebSockets included); one more is closed at once. */
  maxConnections: number;
  /** A client gets this long to send the request line and headers; then the connection is cut. */
  headersTimeoutMs: number;
  /** A client gets this long to send a whole request, body included; then it gets 408 and is cut. */
  requestTimeoutMs: number;
}

export const DEFAULT_OPTIONS: ServerOptions = {
  host: '127.0.0.1',
  port: 4600,
  apis: [],
  root: false,
  fixturesDir: defaultFixturesDir,
  fixtureFiles: {},
  watch: false,
  specDir: defaultSpecDir,
  strict: false,
  bodyLimit: 100 * 1024,
  logLevel: 'info',
  admin: true,
  adminToken: undefined,
  store: 'memory',
  stateFile: undefined,
  stateSaveIntervalMs: 5000,
  keysFile: undefined,
  cors: true,
  corsOrigins: [],
  https: false,
  tlsCert: undefined,
  tlsKey: undefined,
  tlsDir: undefined,
  // Below the usual 1024 open files per process, leaving room for files, keys and logs.
  maxConnections: 1000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
};

export function resolveOptions(partial: Partial<ServerOptions>, knownApis: string[]): ServerOptions {
  const options: ServerOptions = { ...DEFAULT_OPTIONS, ...stripUndefined(partial) };
  // `[::]` as in a URL is the address `::`.
  if (/^\[[^\]]*\]$/.test(options.host)) options.host = options.host.slice(1, -1);
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new StartupError(`port must be an integer from 0 to 65535, got ${String(options.port)}`);
  }
  if (!Number.isInteger(options.bodyLimit) || options.bodyLimit <= 0) {
    throw new StartupError(`bodyLimit must be a positive number of bytes, got ${String(options.bodyLimit)}`);
  }
  const unknown = options.apis.filter((id) => !knownApis.includes(id));
  if (unknown.length > 0) {
    throw new StartupError(`unknown API ${unknown.map((u) => `"${u}"`).join(', ')}; known: ${knownApis.join(', ')}`);
  }
  if (options.apis.length === 0) options.apis = [...knownApis];
  if (options.root && options.apis.length !== 1) {
    throw new StartupError('serving at the root needs exactly one API');
  }
  if (!Number.isInteger(options.stateSaveIntervalMs) || options.stateSaveIntervalMs < 100) {
    throw new StartupError(`stateSaveIntervalMs must be a whole number of milliseconds, at least 100, got ${String(options.stateSaveIntervalMs)}`);
  }
  if (!Number.isInteger(options.maxConnections) || options.maxConnections < 1) {
    throw new StartupError(`maxConnections must be a whole number, at least 1, got ${String(options.maxConnections)}`);
  }
  for (const key of ['headersTimeoutMs', 'requestTimeoutMs'] as const) {
    if (!Number.isInteger(options[key]) || options[key] < 100) throw new StartupError(`${key} must be a whole number of milliseconds, at least 100, got ${String(options[key])}`);
  }
  if (options.headersTimeoutMs > options.requestTimeoutMs) {
    throw new StartupError(`headersTimeoutMs (${options.headersTimeoutMs}) must not be longer than requestTimeoutMs (${options.requestTimeoutMs})`);
  }
  options.store = checkStore(options.store);
  if (options.store !== 'memory' && options.stateFile !== undefined) {
    throw new StartupError('give a state file or a Redis store, not both: Redis keeps the state itself (make it durable with its own persistence, AOF; see README "Many instances")');
  }
  if (options.store !== 'memory' && options.keysFile !== undefined) {
    throw new StartupError('give a keys file or a Redis store, not both: with Redis, the signing keys are kept in Redis, shared by every instance');
  }
  if (options.stateFile === '') throw new StartupError('the state file needs a name');
  if (options.keysFile === '') throw new StartupError('the keys file needs a name');
  if (options.keysFile !== undefined && options.stateFile !== undefined) {
    throw new StartupError('give a keys file or a state file, not both: with a state file, the signing keys are kept in it');
  }
  if (options.adminToken !== undefined && options.adminToken.length < 8) {
    throw new StartupError('the admin token must be at least 8 characters');
  }
  options.corsOrigins = options.corsOrigins.map((origin) => {
    const normalized = normalizeOrigin(origin);
    if (!normalized) {
      throw new StartupError(`CORS origin "${origin}" is not an origin; write it as scheme://host[:port], e.g. http://localhost:5173`);
    }
    return normalized;
  });
  if (!options.cors && options.corsOrigins.length > 0) {
    throw new StartupError('CORS origins were given with CORS turned off; use one or the other');
  }
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) {
    throw new StartupError('a TLS certificate needs its key and the key its certificate: give both --tls-cert and --tls-key');
  }
  if (options.tlsCert !== undefined) options.https = true;
  checkConfigValues(options, knownApis);
  if (options.fallback !== undefined) options.fallback = parseFallbackUrl(options.fallback).href;
  return options;
}

/** Types and values a caller of startMock() can get wrong, and the folders, which must exist. */
function checkConfigValues(options: ServerOptions, knownApis: string[]): void {
  if (typeof options.host !== 'string' || options.host.trim() === '') {
    throw new StartupError(`host must be a host name or address, got ${JSON.stringify(options.host)}`);
  }
  if (!['silent', 'error', 'warn', 'info'].includes(options.logLevel)) {
    throw new StartupError(`logLevel must be one of silent, error, warn, info, got ${JSON.stringify(options.logLevel)}`);
  }
  for (const [key, flag] of [['fixturesDir', '--fixtures'], ['specDir', '--specs']] as const) {
    if (typeof options[key] !== 'string' || options[key] === '') {
      throw new StartupError(`${key} (${flag}) must be the path of a folder, got ${JSON.stringify(options[key])}`);
    }
  }
  checkApiFolder(options.fixturesDir, 'the fixtures folder', knownApis);
  // admin.yaml, the control API's own spec, is built in: a copy in a --specs folder is not read.
  if (options.specDir !== defaultSpecDir) checkApiFolder(options.specDir, 'the specs folder', knownApis, ['admin']);
}

/** Whether `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** `memory`, or a redis:// / rediss:// URL with a host; anything else is refused, saying what is accepted. */
export function checkStore(store: string): string {
  if (store === 'memory') return store;
  let url: URL | undefined;
  try {
    url = new URL(store);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
    throw new StartupError(`store "${store}" is neither "memory" nor a Redis URL (redis://host:port/db, rediss://user:password@host:port)`);
  }
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,2}$/.test(db)) throw new StartupError(`store "${store}": the database after the host must be a number, got "${db}"`);
  return store;
}
