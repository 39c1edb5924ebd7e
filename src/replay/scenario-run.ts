/**
 * Runs a fixture scenario against the target: each step's request is built (with `${...}` filled
 * from saved values and the fixtures), sent, checked against the spec and against the step's
 * `expect`; one CheckResult per step, naming the field that did not match.
 */
import { performance } from 'node:perf_hooks';
import type { CheckResult } from '../report';
import { parseSetCookie } from './cookies';
import { stepNumber, type ReplayEnv } from './env';
import type { LiveRequest } from './fill';
import { joinPath, parseJson } from './json-walk';
import type { Scenario, ScenarioStep } from './scenario';
import { send, type LiveResponse } from './send';

interface Mismatch {
  path: string;
  expected: string;
  actual: string;
}

export async function runScenario(scenario: Scenario, env: ReplayEnv): Promise<CheckResult[]> {
  const vars = new Map<string, unknown>();
  const results: CheckResult[] = [];
  for (const [i, step] of scenario.steps.entries()) {
    const result = await runStep(scenario, step, `${scenario.name}.${stepNumber(i, scenario.steps.length)}`, scenario.stepLines[i] ?? scenario.file, vars, env);
    results.push(result);
    env.onResult?.(result);
  }
  return results;
}

async function runStep(
  scenario: Scenario,
  step: ScenarioStep,
  id: string,
  where: string,
  vars: Map<string, unknown>,
  env: ReplayEnv,
): Promise<CheckResult> {
  const started = performance.now();
  const [method = 'GET', rawPath = '/'] = step.request.split(' ');
  const base = { id, title: step.name ?? step.request, request: `${step.request} (${scenario.api}, ${where})` };
  const fail = (reason: string, mismatch?: Mismatch): CheckResult => ({
    ...base,
    status: 'failed',
    durationMs: performance.now() - started,
    reason,
    ...(mismatch ? { expected: `${mismatch.path} = ${mismatch.expected}`, actual: `${mismatch.path} = ${mismatch.actual}` } : {}),
  });

  const missing: string[] = [];
  const fill = (value: unknown) => interpolate(value, vars, scenario.api, env, missing);
  const path = String(await fill(rawPath));
  const request: LiveRequest = { method, url: `${env.baseUrl(scenario.api).replace(/\/+$/, '')}${path}`, headers: {} };
  for (const [name, value] of Object.entries(step.headers ?? {})) request.headers[name.toLowerCase()] = String(await fill(value));
  if (step.bearer !== undefined) request.headers.authorization = `Bearer ${String(await fill(step.bearer))}`;
  if (step.basic) {
    const pair = `${String(await fill(step.basic.user))}:${String(await fill(step.basic.password))}`;
    request.headers.authorization = `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
  }
  if (step.json !== undefined) {
    request.body = JSON.stringify(await fill(step.json));
    request.headers['content-type'] ??= step.contentType ?? 'application/json';
  } else if (step.form !== undefined) {
    const form = (await fill(step.form)) as Record<string, unknown>;
    request.body = new URLSearchParams(Object.entries(form).map(([k, v]): [string, string] => [k, String(v)])).toString();
    request.headers['content-type'] ??= step.contentType ?? 'application/x-www-form-urlencoded';
  } else if (step.text !== undefined) {
    request.body = String(await fill(step.text));
    request.headers['content-type'] ??= step.contentType ?? 'text/plain';
  }
  if (missing.length > 0) return fail(`cannot build the request: ${[...new Set(missing)].join('; ')}`);
  Object.assign(request.headers, env.extraHeaders);

  const sent = await send(request, env.timeoutMs);
  if (!sent.ok) return fail(`no response: ${sent.error}`);
  const live = sent.response;
  const opPath = path.split('?')[0] ?? path;
  const spec = env.checker(scenario.api).check({ method, path: opPath, status: live.status, contentType: live.contentType, body: live.text });

  const mismatches = expectations(step, live);
  const saveProblems: string[] = [];
  for (const [name, from] of Object.entries(step.save ?? {})) {
    const value = pick(live, from);
    if (value === undefined) saveProblems.push(`save ${name}: ${from} is not in the response`);
    else vars.set(name, value);
  }
  const reasons: string[] = [];
  if (mismatches.length > 0) reasons.push(mismatches.slice(0, 5).map((m) => `${m.path}: expected ${m.expected}, got ${m.actual}`).join('; '));
  if (spec.problems.length > 0) {
    reasons.push(`breaks the spec${spec.operationId ? ` (${spec.operationId})` : ''}: ${spec.problems.slice(0, 5).map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  }
  reasons.push(...saveProblems);
  if (reasons.length === 0) return { ...base, status: 'passed', durationMs: performance.now() - started };
  return fail(reasons.join('; and '), mismatches[0]);
}

function expectations(step: ScenarioStep, live: LiveResponse): Mismatch[] {
  const expect = step.expect ?? {};
  const out: Mismatch[] = [];
  const statuses = expect.status === undefined ? undefined : Array.isArray(expect.status) ? expect.status : [expect.status];
  const statusOk = statuses ? statuses.includes(live.status) : live.status >= 200 && live.status < 300;
  if (!statusOk) {
    out.push({ path: 'status', expected: statuses ? statuses.join(' or ') : 'a 2xx status', actual: `${live.status} ${short(live.text)}` });
    return out;
  }
  if (expect.body !== undefined) {
    const parsed = parseJson(live.text);
    if (!parsed.ok) out.push({ path: 'body', expected: 'a JSON body', actual: short(live.text) || '(empty)' });
    else out.push(...contains(expect.body, parsed.value, 'body'));
  }
  if (expect.text !== undefined && live.text !== expect.text) out.push({ path: 'body', expected: JSON.stringify(expect.text), actual: JSON.stringify(short(live.text)) });
  for (const p of expect.present ?? []) if (pick(live, p) === undefined) out.push({ path: p, expected: 'present', actual: '(missing)' });
  for (const p of expect.absent ?? []) {
    const value = pick(live, p);
    if (value !== undefined) out.push({ path: p, expected: '(absent)', actual: short(JSON.stringify(value)) });
  }
  return out;
}

/** Where `actual` does not contain `expected`: objects by field, arrays item by item, values equal. */
function contains(expected: unknown, actual: unknown, path: string): Mismatch[] {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return [{ path, expected: 'an object', actual: short(JSON.stringify(actual)) }];
    return Object.entries(expected as Record<string, unknown>).flatMap(([k, v]) => contains(v, (actual as Record<string, unknown>)[k], joinPath(path, k)));
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      return [{ path, expected: `${expected.length} items`, actual: short(JSON.stringify(actual) ?? '(missing)') }];
    }
    return expected.flatMap((item, i) => contains(item, actual[i], `${path}[${i}]`));
  }
  return expected === actual ? [] : [{ path, expected: JSON.stringify(expected), actual: actual === undefined ? '(missing)' : short(JSON.stringify(actual)) }];
}

/** `status`, `header.x`, `cookie.name`, `body.a.b[0]` of a response; undefined when not there. */
export function pick(live: LiveResponse, from: string): unknown {
  if (from === 'status') return live.status;
  const [head, ...rest] = segments(from);
  if (head === 'header') return live.headers[rest.join('.').toLowerCase()];
  if (head === 'cookie') return live.setCookies.map(parseSetCookie).find((c) => c.name === rest.join('.'))?.value;
  const parsed = parseJson(live.text);
  let value: unknown = parsed.ok ? parsed.value : rest.length === 0 && live.text !== '' ? live.text : undefined;
  for (const segment of rest) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/** `body.a[0]["2fa"]` → body, a, 0, 2fa. */
function segments(path: string): string[] {
  const out: string[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g;
  for (const m of path.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

const REFERENCE = /\$\{([a-z-]+:)?([^}]+)\}/g;

/** Fills `${name}` (a saved value), `${password:USER}`, `${otp:USER}`, `${signature:USER}`. */
async function interpolate(value: unknown, vars: Map<string, unknown>, api: string, env: ReplayEnv, missing: string[]): Promise<unknown> {
  if (Array.isArray(value)) return Promise.all(value.map((v) => interpolate(v, vars, api, env, missing)));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = await interpolate(v, vars, api, env, missing);
    return out;
  }
  if (typeof value !== 'string' || !value.includes('${')) return value;
  const refs = [...value.matchAll(REFERENCE)];
  const resolved: unknown[] = [];
  for (const m of refs) resolved.push(await reference(m[1]?.slice(0, -1), m[2]!, vars, api, env, missing));
  if (refs.length === 1 && refs[0]![0] === value) return resolved[0] ?? value;
  let i = 0;
  return value.replace(REFERENCE, (whole) => {
    const r = resolved[i++];
    return r === undefined ? whole : String(r);
  });
}

async function reference(kind: string | undefined, arg: string, vars: Map<string, unknown>, api: string, env: ReplayEnv, missing: string[]): Promise<unknown> {
  let value: unknown;
  switch (kind) {
    case undefined:
      value = vars.get(arg);
      if (value === undefined) missing.push(`\${${arg}} is not set: no earlier step saved it`);
      return value;
    case 'password':
      value = env.credentials.password(api, arg);
      break;
    case 'otp':
      value = await env.credentials.otp(api, arg);
      break;
    case 'signature':
      value = env.credentials.signature(api, arg);
      break;
    default:
      missing.push(`\${${kind}:${arg}}: unknown kind "${kind}" (password, otp, signature)`);
      return undefined;
  }
  if (value === undefined) missing.push(`\${${kind}:${arg}}: no ${api} fixture user "${arg}" with that (or, for otp, no code in the outbox)`);
  return value;
}

function short(text: string): string {
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}
