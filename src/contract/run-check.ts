import type { ControlClient } from '../control/client';
import type { SpecChecker } from '../engine/spec-checker';
import type { CheckResult } from '../report';
import { ActionFailed, actionNamed, type ActionContext } from './actions';
import { nonconformance } from './conformance';
import type { ActionStep, AssertStep, Expectation, RequestStep, Requirement, StepSpec } from './flow-types';
import { CheckHttp, TargetUnreachable, type HttpExchange } from './http-client';
import type { LoadedCheck } from './load-flows';
import { describe, mismatch } from './match';
import { runOtpCommand } from './otp';
import { interpolate, interpolateText, MissingValue, pick, type Scope } from './template';

/** Everything a check runs with: the target, its spec, the accounts, and what the run may use. */
export interface RunContext {
  api: string;
  /** The API's base URL, without a trailing slash. */
  base: string;
  checker: SpecChecker;
  /** A few random characters naming this run (its sessions, sign-up e-mails, device ids). */
  runId: string;
  /** `accounts`, `fixture` and `run`, for placeholders. */
  scope: Scope;
  /** The target's control API (default session), when it offers one. */
  control?: ControlClient;
  /** Prefix of the state session each check gets on an authdouble target. */
  sessionPrefix: string;
  otpCommand?: string;
  destructive: boolean;
  timeoutMs: number;
  /**
   * Without a control API, a 429 that a step did not expect is a window left by an earlier check or
   * run on the shared state. With this set, the check waits it out (up to this many seconds) and
   * runs again; without, it is skipped and says so.
   */
  waitWindowsS?: number;
  /** Use this state session for every check (replay's `--session`, or one per file). */
  fixedSession?: string;
  /** Headers sent with every request. */
  extraHeaders?: Record<string, string>;
  /** Name each failing step's file:line in messages. */
  stepWhere?: boolean;
  /** Fills `${password:USER}`, `${otp:USER}`, `${signature:USER}` (the check's control client for the outbox). */
  functions?: (kind: 'password' | 'otp' | 'signature', user: string, control?: ControlClient) => Promise<string | undefined>;
  /** Progress while waiting out a window. */
  onWait?: (info: { check: string; seconds: number; left: number }) => void;
  /** How to wait (tests give a fake); `setTimeout` by default. */
  sleep?: (ms: number) => Promise<void>;
}

/** The target answered 429 where the step expected something else, on a target without isolation. */
class WindowHit extends Error {
  constructor(
    readonly seconds: number | undefined,
    readonly request: string,
  ) {
    super(`rate-limited: ${request}`);
  }
}

/** A check ends early: failed (the step said why) or skipped (it cannot run here). */
class Stop extends Error {
  constructor(
    readonly result: Omit<CheckResult, 'id' | 'title' | 'durationMs'>,
  ) {
    super(result.reason);
  }
}

/** Why a check cannot run against this target and these options, or undefined when it can. */
export function skipReason(check: LoadedCheck, ctx: RunContext): string | undefined {
  const needs = new Set<Requirement>(check.spec.requires ?? []);
  if (check.spec.kind === 'destructive') needs.add('destructive');
  if (needs.has('destructive') && !ctx.destructive) return 'needs --destructive (it locks test accounts or moves the clock)';
  if (needs.has('clock') && !ctx.control) return `the target offers no clock control (no control API at ${origin(ctx.base)}/__admin), so expiry cannot be reached without waiting`;
  if (needs.has('control') && !ctx.control) return `needs the control API at ${origin(ctx.base)}/__admin, which the target does not answer`;
  if (needs.has('otp') && !ctx.control && !ctx.otpCommand) {
    return `no way to read the 2FA code: the target has no control API (outbox) and no --otp-command was given`;
  }
  return undefined;
}

/**
 * Runs one check, step by step, and says how it went. Never throws. On a target without the control
 * API, a rate-limit window left by something else is waited out (with `waitWindowsS`) or makes the
 * check a skip that says why: it is not evidence against the target.
 */
export async function runCheck(check: LoadedCheck, index: number, ctx: RunContext): Promise<CheckResult> {
  const started = performance.now();
  for (let attempt = 1; ; attempt++) {
    const result = await runCheckOnce(check, index, ctx);
    if (!(result instanceof WindowHit)) return { ...result, durationMs: performance.now() - started };
    const wait = result.seconds;
    const canWait = ctx.waitWindowsS !== undefined && wait !== undefined && wait <= ctx.waitWindowsS && attempt <= 3;
    if (!canWait) {
      const after = wait === undefined ? 'no Retry-After' : `Retry-After ${wait} s`;
      const hint =
        ctx.waitWindowsS === undefined
          ? 'run it again later, or pass --wait-windows to wait it out'
          : wait === undefined
            ? 'the answer does not say how long to wait'
            : `longer than --wait-windows allows (${ctx.waitWindowsS} s)`;
      return {
        id: check.id,
        title: check.spec.title,
        durationMs: performance.now() - started,
        status: 'skipped',
        reason: `the target answered 429 (${after}) to ${result.request}: a rate-limit window left on its shared state by an earlier check or run, not by this check; ${hint}`,
      };
    }
    await waitOut(check.id, wait, ctx);
  }
}

async function waitOut(check: string, seconds: number, ctx: RunContext): Promise<void> {
  const sleep = ctx.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let left = seconds + 1;
  while (left > 0) {
    ctx.onWait?.({ check, seconds: seconds + 1, left });
    const step = Math.min(left, 10);
    await sleep(step * 1000);
    left -= step;
  }
}

/** What the steps of one check share: its HTTP client (cookie jar, session), saved values, scope. */
interface CheckRun {
  http: CheckHttp;
  actionContext: ActionContext;
  vars: Scope;
  scope: () => Scope;
}

function startCheckRun(index: number, ctx: RunContext): CheckRun {
  const unique = `${ctx.runId}-${index}`;
  const session = ctx.fixedSession ?? (ctx.control ? `${ctx.sessionPrefix}-${index}` : undefined);
  const http = new CheckHttp({ base: ctx.base, timeoutMs: ctx.timeoutMs, session, extraHeaders: ctx.extraHeaders });
  const actionContext: ActionContext = {
    api: ctx.api,
    base: ctx.base,
    session,
    control: session ? ctx.control?.session(session) : undefined,
    otpCommand: ctx.otpCommand,
    timeoutMs: ctx.timeoutMs,
  };
  const vars: Scope = {};
  const scope = (): Scope => ({
    ...ctx.scope,
    check: { unique, device: `verify-${unique}`, email: `verify-${unique}@example.com` },
    ...vars,
  });
  return { http, actionContext, vars, scope };
}

/** Runs one step of a check; a failure is thrown as a Stop (or a WindowHit). */
async function runStep(step: StepSpec, label: string, run: CheckRun, ctx: RunContext): Promise<void> {
  try {
    await resolveFunctions(step, run, ctx);
    if ('request' in step) await runRequest(step, label, run.http, ctx, run.scope, run.vars);
    else if ('do' in step) await runAction(step, label, run.actionContext, run.scope, run.vars);
    else runAssert(step, label, run.scope());
  } catch (err) {
    throw asStop(err, label, step);
  }
}

function stepLabel(step: StepSpec, i: number, where?: string): string {
  return `step ${i + 1}${step.name ? ` (${step.name})` : ''}${where ? ` at ${where}` : ''}`;
}

async function runCheckOnce(check: LoadedCheck, index: number, ctx: RunContext): Promise<CheckResult | WindowHit> {
  const started = performance.now();
  const done = (result: Omit<CheckResult, 'id' | 'title' | 'durationMs'>): CheckResult => ({
    id: check.id,
    title: check.spec.title,
    durationMs: performance.now() - started,
    ...result,
  });
  const skip = skipReason(check, ctx);
  if (skip) return done({ status: 'skipped', reason: skip });
  const run = startCheckRun(index, ctx);
  try {
    for (const [i, step] of check.spec.steps.entries()) await runStep(step, stepLabel(step, i, ctx.stepWhere ? check.stepLines?.[i] : undefined), run, ctx);
    return done({ status: 'passed' });
  } catch (err) {
    if (err instanceof WindowHit) return err;
    if (err instanceof Stop) return done(err.result);
    return done({ status: 'failed', reason: `the runner itself failed: ${(err as Error).message}` });
  }
}

/**
 * Runs a check's steps one by one and reports each step as its own result (`<prefix>.<n>`), going
 * on after a failed step: what `replay` does with a file of one sequence of steps.
 */
export async function runEachStep(check: LoadedCheck, prefix: string, ctx: RunContext, onResult?: (result: CheckResult) => void): Promise<CheckResult[]> {
  const run = startCheckRun(0, ctx);
  const results: CheckResult[] = [];
  const width = String(check.spec.steps.length).length;
  for (const [i, step] of check.spec.steps.entries()) {
    const started = performance.now();
    const base = { id: `${prefix}.${String(i + 1).padStart(width, '0')}`, title: step.name ?? ('request' in step ? step.request : 'do' in step ? step.do : 'assert') };
    let result: CheckResult;
    try {
      await runStep(step, stepLabel(step, i, check.stepLines?.[i]), run, ctx);
      result = { ...base, status: 'passed', durationMs: performance.now() - started };
    } catch (err) {
      const stop = err instanceof Stop ? err.result : err instanceof WindowHit ? { status: 'failed' as const, reason: `the target answered 429 to ${err.request}` } : { status: 'failed' as const, reason: (err as Error).message };
      result = { ...base, durationMs: performance.now() - started, ...stop };
    }
    results.push(result);
    onResult?.(result);
  }
  return results;
}

const FUNCTION_REF = /\$\{\s*((?:password|otp|signature):[^}]+?)\s*\}/g;

/**
 * `${password:USER}`, `${otp:USER}` and `${signature:USER}` in a step: filled from the fixtures,
 * the outbox (or --otp-command) and the published test keys, just before the step runs.
 */
async function resolveFunctions(step: StepSpec, run: CheckRun, ctx: RunContext): Promise<void> {
  const refs = new Set<string>();
  const walk = (value: unknown): void => {
    if (typeof value === 'string') for (const m of value.matchAll(FUNCTION_REF)) refs.add(m[1]!);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(walk);
  };
  walk(step);
  if (refs.size === 0) return;
  const fn: Record<string, unknown> = { ...((run.vars.fn as Record<string, unknown> | undefined) ?? {}) };
  for (const ref of refs) {
    const colon = ref.indexOf(':');
    const kind = ref.slice(0, colon) as 'password' | 'otp' | 'signature';
    const user = ref.slice(colon + 1).trim();
    let value: string | undefined;
    if (kind === 'otp' && ctx.otpCommand) value = await runOtpCommand(ctx.otpCommand, { api: ctx.api, email: user }, ctx.timeoutMs).catch(() => undefined);
    else value = await ctx.functions?.(kind, user, run.actionContext.control);
    if (value === undefined) {
      throw new Stop({
        status: 'failed',
        reason: `\${${ref}}: no ${ctx.api} fixture user "${user}" with that${kind === 'otp' ? ' (or no code in the outbox)' : ''}`,
      });
    }
    fn[`${kind}:${user}`] = value;
  }
  run.vars.fn = fn;
}

async function runRequest(step: RequestStep, label: string, http: CheckHttp, ctx: RunContext, scope: () => Scope, vars: Scope): Promise<void> {
  const times = step.repeat === undefined ? 1 : Number(interpolate(step.repeat, scope()));
  if (!Number.isInteger(times) || times < 1 || times > 100) throw fail(`${label}: repeat must be a whole number from 1 to 100, not ${describe(step.repeat)}`);
  const [method = 'GET', rawPath = '/'] = step.request.split(' ');
  for (let n = 1; n <= times; n++) {
    const s = scope();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(step.headers ?? {})) headers[k.toLowerCase()] = interpolateText(v, s);
    if (step.bearer !== undefined) headers.authorization = `Bearer ${interpolateText(step.bearer, s)}`;
    if (step.basic) {
      const pair = `${interpolateText(step.basic.user, s)}:${interpolateText(step.basic.password, s)}`;
      headers.authorization = `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
    }
    let body: string | undefined;
    if (step.json !== undefined) {
      body = JSON.stringify(interpolate(step.json, s));
      headers['content-type'] ??= 'application/json';
    } else if (step.form !== undefined) {
      const form = interpolate(step.form, s) as Record<string, unknown>;
      body = new URLSearchParams(Object.entries(form).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)])).toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    } else if (step.raw !== undefined) {
      body = interpolateText(step.raw, s);
    }
    if (step.contentType) headers['content-type'] = step.contentType;
    const path = interpolateText(rawPath, s);
    const requestLine = `${method} ${path}${times > 1 ? ` (${n} of ${times})` : ''} — ${label}`;

    const exchange = await http.send({ method, path, headers, body, useJar: step.cookies !== false });
    if (exchange.status === 429 && !ctx.control && !expects(step.expect, 429)) {
      const after = Number(exchange.headers['retry-after']);
      throw new WindowHit(Number.isInteger(after) && after >= 0 ? after : undefined, `${method} ${path} (${label})`);
    }

    const broken = nonconformance(ctx.checker, exchange);
    const view = responseView(exchange, http);
    const problem = expectationProblem(step.expect, exchange, s, view);
    // Later steps get what this answer gave even when it fails (replay goes on after a failed step).
    if (broken || problem) {
      try {
        save(step.save, view, vars, label, exchange);
      } catch {
        // the failure below says what is wrong with the answer
      }
    }
    if (broken) {
      throw new Stop({
        status: 'failed',
        reason: `${step.fail ? `${step.fail}; and ` : ''}the response breaks the spec: ${broken.problems.join('; ')}`,
        request: requestLine,
        expected: broken.operationId ? `a response documented for ${broken.operationId} (${broken.documented.join(', ')})` : 'an operation of the spec',
        actual: summarize(exchange),
        schemaPath: broken.schemaPath,
      });
    }
    if (problem) {
      throw new Stop({
        status: 'failed',
        reason: step.fail ? `${step.fail} (${problem})` : problem,
        request: requestLine,
        expected: describeExpectation(step.expect, s),
        actual: summarize(exchange),
      });
    }
    save(step.save, view, vars, label, exchange);
  }
}

async function runAction(step: ActionStep, label: string, ctx: ActionContext, scope: () => Scope, vars: Scope): Promise<void> {
  const action = actionNamed(step.do);
  if (!action) throw fail(`${label}: there is no action "${step.do}"`);
  const args = interpolate(step.with ?? {}, scope()) as Record<string, unknown>;
  const body = await action(args, ctx);
  if (step.expect?.body !== undefined) {
    const expected = interpolate(step.expect.body, scope());
    const problem = mismatch(expected, body, 'body');
    if (problem) {
      throw new Stop({
        status: 'failed',
        reason: step.fail ? `${step.fail} (${problem})` : problem,
        request: `${step.do} ${describe(args)} — ${label}`,
        expected: describe(expected, 300),
        actual: describe(body, 300),
      });
    }
  }
  save(step.save, { body }, vars, label);
}

function runAssert(step: AssertStep, label: string, scope: Scope): void {
  const [kind, pair] = Object.entries(step.assert)[0] as ['differ' | 'equal', [unknown, unknown]];
  const [a, b] = interpolate(pair, scope) as [unknown, unknown];
  const same = mismatch(a, b) === undefined;
  if (same !== (kind === 'equal')) {
    throw new Stop({
      status: 'failed',
      reason: step.fail,
      request: `the values of earlier steps — ${label}`,
      expected: kind === 'equal' ? `the same value twice` : 'two different values',
      actual: `${describe(a)} and ${describe(b)}`,
    });
  }
}

/** What `save` and expectations read from a response. */
function responseView(exchange: HttpExchange, http: CheckHttp): Record<string, unknown> {
  return { status: exchange.status, body: exchange.json ?? exchange.text, header: exchange.headers, cookie: http.jar.toJSON() };
}

function save(spec: Record<string, string> | undefined, view: Record<string, unknown>, vars: Scope, label: string, exchange?: HttpExchange): void {
  for (const [name, path] of Object.entries(spec ?? {})) {
    const value = pick(view, path);
    if (value === undefined) {
      throw new Stop({
        status: 'failed',
        reason: `${label}: the ${exchange ? 'response' : 'result'} has no ${path}, which later steps need`,
        request: exchange ? `${exchange.method} ${exchange.path} — ${label}` : label,
        expected: `a value at ${path}`,
        actual: exchange ? summarize(exchange) : describe(view.body, 300),
      });
    }
    vars[name] = value;
  }
}

function expectationProblem(expect: Expectation | undefined, exchange: HttpExchange, scope: Scope, view: Record<string, unknown>): string | undefined {
  if (expect?.status === undefined) {
    if (exchange.status < 200 || exchange.status > 299) return `expected a 2xx status, got ${exchange.status}`;
  } else if (expect.status !== 'documented') {
    const allowed = Array.isArray(expect.status) ? expect.status : [expect.status];
    if (!allowed.includes(exchange.status)) return `expected status ${allowed.join(' or ')}, got ${exchange.status}`;
  }
  if (!expect) return undefined;
  if (expect.body !== undefined) {
    if (exchange.json === undefined) return `expected a JSON body, got ${exchange.contentType ?? 'no content type'} ${describe(exchange.text)}`;
    const problem = mismatch(interpolate(expect.body, scope), exchange.json, 'body');
    if (problem) return problem;
  }
  if (expect.text !== undefined) {
    const problem = mismatch(interpolate(expect.text, scope), exchange.text, 'the text body');
    if (problem) return problem;
  }
  for (const [name, value] of Object.entries(expect.headers ?? {})) {
    const lower = name.toLowerCase();
    const actual = Object.hasOwn(exchange.headers, lower) ? exchange.headers[lower] : undefined;
    const problem = mismatch(interpolate(value, scope), actual, `header ${lower}`);
    if (problem) return problem;
  }
  const fields = [
    ...(expect.present ?? []).filter((p) => pick(view, p) === undefined).map((p) => `${p} is missing`),
    ...(expect.absent ?? []).filter((p) => pick(view, p) !== undefined).map((p) => `${p} is present (${describe(pick(view, p), 60)}), expected it absent`),
  ];
  return fields.length > 0 ? fields.join('; ') : undefined;
}

function describeExpectation(expect: Expectation | undefined, scope: Scope): string {
  const parts: string[] = [];
  if (expect?.status === undefined) parts.push('a 2xx status');
  else if (expect.status === 'documented') parts.push('a status the spec documents');
  else parts.push(`status ${Array.isArray(expect.status) ? expect.status.join(' or ') : expect.status}`);
  if (!expect) return parts.join(', ');
  if (expect.body !== undefined) parts.push(`body with ${describe(safeInterpolate(expect.body, scope), 300)}`);
  if (expect.text !== undefined) parts.push(`text ${describe(safeInterpolate(expect.text, scope))}`);
  if (expect.headers) parts.push(`headers ${describe(safeInterpolate(expect.headers, scope), 200)}`);
  if (expect.present) parts.push(`${expect.present.join(', ')} present`);
  if (expect.absent) parts.push(`${expect.absent.join(', ')} absent`);
  return parts.join(', ');
}

function safeInterpolate(value: unknown, scope: Scope): unknown {
  try {
    return interpolate(value, scope);
  } catch {
    return value;
  }
}

/** `401 application/json {"code":"invalid_token",...}`: an answer in one line. */
function summarize(exchange: HttpExchange): string {
  const type = exchange.contentType ? ` ${exchange.contentType}` : '';
  const body = exchange.text === '' ? ' (no body)' : ` ${exchange.text.length > 300 ? `${exchange.text.slice(0, 299)}…` : exchange.text}`;
  return `${exchange.status}${type}${body}`;
}

function expects(expect: Expectation | undefined, status: number): boolean {
  if (expect?.status === undefined || expect.status === 'documented') return false;
  return Array.isArray(expect.status) ? expect.status.includes(status) : expect.status === status;
}

function fail(reason: string): Stop {
  return new Stop({ status: 'failed', reason });
}

function asStop(err: unknown, label: string, step: StepSpec): Stop | WindowHit {
  if (err instanceof Stop || err instanceof WindowHit) return err;
  if (err instanceof MissingValue) {
    if (err.path.startsWith('accounts.') || err.path.startsWith('fixture.')) {
      const account = err.path.split('.')[1] ?? '';
      return new Stop({
        status: 'skipped',
        reason: `the fixture gives no ${err.path} (add the account "${account}" under contract.accounts in --fixtures)`,
      });
    }
    return fail(`${label} needs \${${err.path}}, which no earlier step saved`);
  }
  if (err instanceof TargetUnreachable) return new Stop({ status: 'failed', reason: `the target did not answer: ${err.message}`, request: label });
  if (err instanceof ActionFailed) {
    const action = 'do' in step ? `${step.do} — ` : '';
    return new Stop({ status: 'failed', reason: `${step.fail ? `${step.fail}: ` : ''}${err.message}`, request: `${action}${label}` });
  }
  return fail(`${label}: ${(err as Error).message}`);
}

function origin(base: string): string {
  try {
    return new URL(base).origin;
  } catch {
    return base;
  }
}
