import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { SpecChecker } from '../../../src/engine/spec-checker';
import { startTestServer, type TestServer } from '../../helpers/server';
import { Pools } from './pools';
import { loadSpec, requestArbitrary, type FuzzDictionary, type FuzzRequest } from './requests';

/** Requests per batch (sent in parallel) and batches per run: 10,000 requests per API by default. */
export const BATCH = 100;
export const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
/** A request that takes longer than this is a hang. */
const REQUEST_TIMEOUT_MS = 10_000;

const root = path.resolve(__dirname, '../../..');

export interface FuzzResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  json?: unknown;
}

/** Sends a request, resolved against the pools, to `base` (the API's URL). */
export type Send = (req: { method: string; path: string; headers?: Record<string, string>; body?: string | Buffer }) => Promise<FuzzResponse>;

export interface ApiFuzzConfig {
  /** The spec (`openapi/<api>.yaml`) and, unless `serve` says otherwise, the one API served. */
  api: string;
  /** The APIs the server serves (default: `[api]`) and the path the spec's paths are under (default: the API's prefix). */
  serve?: { apis: string[]; prefix: string };
  /** The run's seed; FUZZ_SEED overrides it. */
  seed: number;
  dictionary: FuzzDictionary;
  /** Fixture values the pools start with (e-mails, passwords, client ids, ...). */
  pools: Record<string, string[]>;
  /** Learns live values (tokens, keys, cookies) from a 2xx answer. */
  harvest(pools: Pools, res: FuzzResponse): void;
  /** Requests made before the run, e.g. sign-ins whose tokens seed the pools. */
  warmUp?(send: Send, pools: Pools): Promise<void>;
}

export interface FuzzSummary {
  requests: number;
  seconds: number;
  statuses: Record<string, number>;
  operations: Record<string, number>;
}

/**
 * Runs `RUNS` batches of `BATCH` generated requests against a strict server serving only this API,
 * and fails (with the seed and the offending requests) on any 5xx, hang, connection error, leaked
 * stack trace or path, X-Powered-By header, or response that breaks the spec.
 */
export async function fuzzApi(config: ApiFuzzConfig): Promise<FuzzSummary> {
  const server = await startTestServer({ apis: config.serve?.apis ?? [config.api] });
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  try {
    return await runFuzz(config, server, agent);
  } finally {
    agent.destroy();
    await server.close();
  }
}

async function runFuzz(config: ApiFuzzConfig, server: TestServer, agent: Agent): Promise<FuzzSummary> {
  const base = `${server.url}${config.serve?.prefix ?? server.prefixes.get(config.api) ?? ''}`;
  const checker = SpecChecker.load(config.api);
  const pools = new Pools(config.pools);
  const send: Send = (req) => httpCall(agent, base, req.method, req.path, req.headers ?? {}, req.body);
  if (config.warmUp) await config.warmUp(send, pools);

  const seed = Number(process.env.FUZZ_SEED ?? config.seed);
  const summary: FuzzSummary = { requests: 0, seconds: 0, statuses: {}, operations: {} };
  const arbitrary = requestArbitrary(loadSpec(config.api), config.dictionary);
  const started = Date.now();

  const details = await fc.check(
    fc.asyncProperty(fc.array(arbitrary, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
      const results = await Promise.all(
        batch.map(async (generated) => {
          const outcome = await sendGenerated(agent, base, pools, generated);
          summary.requests++;
          summary.operations[generated.operationId] = (summary.operations[generated.operationId] ?? 0) + 1;
          const key = 'error' in outcome ? 'error' : String(outcome.res.status);
          summary.statuses[key] = (summary.statuses[key] ?? 0) + 1;
          if ('error' in outcome) return { generated, sent: outcome.sent, problems: [outcome.error] };
          if (outcome.res.status >= 200 && outcome.res.status < 300) config.harvest(pools, outcome.res);
          return { generated, sent: outcome.sent, problems: problemsOf(checker, generated, outcome.res) };
        }),
      );
      const failed = results.filter((r) => r.problems.length > 0);
      if (failed.length > 0) {
        throw new Error(failed.slice(0, 5).map((f) => `${describe(f.generated, f.sent)}\n    ${f.problems.join('\n    ')}`).join('\n'));
      }
    }),
    { numRuns: RUNS, seed, endOnFailure: true },
  );
  summary.seconds = (Date.now() - started) / 1000;
  if (details.failed) {
    const reason = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    throw new Error(
      `fuzz ${config.api} failed after ${summary.requests} requests; seed ${details.seed} ` +
        `(reproduce: FUZZ_SEED=${details.seed} npx jest tests/fuzz/${config.api})\n${reason}`,
    );
  }
  // Still serving, and still itself: a plain request behaves after everything above.
  const after = await send({ method: 'GET', path: '/__no_such_path__' });
  if (after.status !== 404) throw new Error(`after the run, an unknown path got ${after.status}`);
  return summary;
}

/** What went on the wire, for failure messages: the Refs resolved. */
interface Sent {
  target: string;
  headers: Record<string, string>;
  body?: Buffer;
}

type Outcome = ({ res: FuzzResponse } | { error: string }) & { sent: Sent };

async function sendGenerated(agent: Agent, base: string, pools: Pools, req: FuzzRequest): Promise<Outcome> {
  const headers: Record<string, string> = {};
  for (const [name, parts] of Object.entries(req.headers)) headers[name] = headerSafe(pools.join(parts));
  let body: Buffer | undefined;
  if (req.body) {
    switch (req.body.kind) {
      case 'value': {
        const value = pools.deepResolve(req.body.value);
        body = Buffer.from(req.body.encoding === 'json' ? JSON.stringify(value) ?? 'null' : formOf(value), 'utf8');
        break;
      }
      case 'text':
        body = Buffer.from(req.body.text, 'utf8');
        break;
      case 'bytes':
        body = Buffer.from(req.body.bytes);
        break;
      case 'gzip':
        body = gzipped(req.body.text);
        break;
    }
  }
  let query = req.query;
  for (const [name, value] of req.params) {
    const v = pools.deepResolve(value);
    // URLSearchParams encodes any string (a lone surrogate becomes U+FFFD, as in a browser).
    query += `${query ? '&' : '?'}${new URLSearchParams([[name, typeof v === 'string' ? v : (JSON.stringify(v) ?? '')]]).toString()}`;
  }
  const sent: Sent = { target: req.path + query, headers, body };
  try {
    return { res: await httpCall(agent, base, req.method, req.path + query, headers, body), sent };
  } catch (err) {
    return { error: `no answer: ${(err as Error).message}`, sent };
  }
}

const gzipCache = new Map<string, Buffer>();
function gzipped(text: string): Buffer {
  let zipped = gzipCache.get(text);
  if (!zipped) gzipCache.set(text, (zipped = gzipSync(text)));
  return zipped;
}

/** Why a response is not acceptable (empty when it is). */
function problemsOf(checker: SpecChecker, req: FuzzRequest, res: FuzzResponse): string[] {
  const problems: string[] = [];
  if (res.status >= 500) problems.push(`status ${res.status}: ${res.body.slice(0, 400)}`);
  if (res.headers['x-powered-by'] !== undefined) problems.push('X-Powered-By is sent');
  if (/\n\s+at .+:\d+:\d+/.test(res.body) || res.body.includes(root) || res.body.includes('node_modules')) {
    problems.push(`the body leaks a stack trace or a path: ${res.body.slice(0, 400)}`);
  }
  if (res.status === 405) {
    if (!String(res.headers['content-type']).startsWith('application/problem+json') && req.method !== 'HEAD') problems.push('405 without a problem document');
    if (!res.headers.allow) problems.push('405 without Allow');
    return problems;
  }
  const check = checker.check({
    method: req.method,
    path: req.path,
    status: res.status,
    contentType: res.headers['content-type'],
    body: req.method === 'HEAD' ? '' : res.body,
  });
  for (const p of check.problems) problems.push(`breaks the spec: ${p.path} ${p.message} (status ${res.status}, body ${res.body.slice(0, 300)})`);
  return problems;
}

function describe(req: FuzzRequest, sent: Sent): string {
  const headers = Object.entries(sent.headers)
    .map(([k, v]) => `${k}: ${v.slice(0, 80)}`)
    .join(' | ');
  const text = sent.body?.toString('utf8') ?? '';
  const body = sent.body === undefined ? '(none)' : `${JSON.stringify(text.slice(0, 200))}${text.length > 200 ? `… (${sent.body.length} bytes)` : ''}`;
  return `${req.method} ${sent.target.slice(0, 200)} [${req.label}]\n    headers: ${headers}\n    body: ${body}`;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch (err) {
    return `<${(err as Error).message}>`;
  }
}

function formOf(value: unknown): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return String(value);
  const params = new URLSearchParams();
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    params.append(key, typeof v === 'string' ? v : safeJson(v));
  }
  return params.toString();
}

/** What Node lets a client put in a header: Latin-1 without control characters (UTF-8 bytes go through as Latin-1). */
function headerSafe(value: string): string {
  // eslint-disable-next-line no-control-regex
  return Buffer.from(value, 'utf8').toString('latin1').replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, '');
}

export function httpCall(
  agent: Agent,
  base: string,
  method: string,
  pathAndQuery: string,
  headers: Record<string, string>,
  body?: string | Buffer,
): Promise<FuzzResponse> {
  // Node's client frames a GET/DELETE/OPTIONS body only when told its length.
  const framed = body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${pathAndQuery}`, { method, headers: framed, agent, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        if (/json/.test(String(res.headers['content-type']))) {
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms (a hang)`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Writes the run's figures where `jest` shows them (the report quotes them). */
export function printSummary(api: string, s: FuzzSummary): void {
  const statuses = Object.entries(s.statuses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}:${v}`)
    .join(' ');
  process.stderr.write(`fuzz ${api}: ${s.requests} requests in ${s.seconds.toFixed(1)} s; statuses ${statuses}; per operation ${JSON.stringify(s.operations)}\n`);
}
