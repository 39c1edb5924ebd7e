import { randomUUID } from 'node:crypto';
import { apiModules } from '../apis';
import { ControlClient } from '../control/client';
import { controlFound } from '../control/found';
import { SpecChecker } from '../engine/spec-checker';
import { StartupError } from '../errors';
import type { CheckResult, RunReport } from '../report';
import { accountsFor } from './accounts';
import { DEFAULT_TIMEOUT_MS } from './defaults';
import { loadTargetFixture } from './fixture-file';
import { fixtureFilesFrom } from '../fixtures/source';
import { Credentials, stepFunctions } from '../replay/credentials';
import { describeFetchError } from './http-client';
import { generatedChecks, newSeed } from './generated';
import { loadChecks, type LoadedCheck } from './load-flows';
import { runCheck, type RunContext } from './run-check';

/** Everything `authdouble verify` takes, as one typed object (the CLI and the jest entry build it). */
export interface VerifyOptions {
  /** The API id: b2core, vault, fib, sama, khe. */
  api: string;
  /** The API's base URL, e.g. `http://127.0.0.1:4600/b2core`. */
  target: string;
  /** The target's test accounts: a folder holding `<api>.yaml`, or the API's fixture file; default: the mock's own. */
  fixtures?: string;
  /** Folders of extra flow files. */
  flows?: string[];
  /** Check ids to run: a full id, a prefix (`b2core.stateful`), a kind (`schema`), or a glob (`*.refresh-*`). */
  only?: string[];
  /** Run the destructive checks (rate limits, lockout, expiry). */
  destructive?: boolean;
  /** Milliseconds each request may take (default 10 s). */
  timeoutMs?: number;
  /** A shell command whose stdout is the 2FA code (AUTHDOUBLE_OTP_EMAIL names the user). */
  otpCommand?: string;
  /** The control API's token, when the target is an authdouble server started with --admin-token. */
  adminToken?: string;
  /**
   * Wait out a rate-limit window (429 with Retry-After, on a target without the control API) of up
   * to this many seconds, then run the check again; without it such a check is skipped and says why.
   */
  waitWindowsS?: number;
  /** Add this many negative checks generated from the spec's schemas (see generated.ts). */
  generated?: number;
  /** The seed of the generated checks (a fresh one, reported in onStart, when not given). */
  seed?: number;
  /** Progress while a window is waited out. */
  onWait?: (info: { check: string; seconds: number; left: number }) => void;
  /** Called once the target has been probed, before the first check. */
  onStart?: (info: { base: string; checks: number; control: boolean; generated?: { count: number; seed: number } }) => void;
  /** Called as each check finishes. */
  onResult?: (result: CheckResult) => void;
}

export { DEFAULT_TIMEOUT_MS } from './defaults';

/** A suite ready to run: its checks, and what they run with. */
export interface PreparedSuite {
  checks: LoadedCheck[];
  context: RunContext;
  /** Whether the target answers the control API (outbox, clock, isolated sessions). */
  control: boolean;
  /** How many checks were generated from the spec, and from which seed. */
  generated?: { count: number; seed: number };
  runCheck(check: LoadedCheck): Promise<CheckResult>;
}

/**
 * Loads the flows, the fixture and the spec, and probes the target (reachable? control API?).
 * Anything that makes the run impossible is a StartupError saying which.
 */
export async function prepareVerify(options: VerifyOptions): Promise<PreparedSuite> {
  if (!apiModules.some((m) => m.id === options.api)) {
    throw new StartupError(`unknown API "${options.api}"; known: ${apiModules.map((m) => m.id).join(', ')}`);
  }
  const base = targetBase(options.target);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const fixtureFile = options.fixtures === undefined ? undefined : fixtureFilesFrom(options.fixtures, { apis: [options.api], api: options.api, known: apiModules.map((m) => m.id) })[options.api];
  const target = loadTargetFixture(options.api, fixtureFile);
  const seed = options.seed ?? newSeed();
  const generated = options.generated ? generatedChecks(options.api, options.generated, seed) : [];
  const checks = runOrder(selectChecks([...loadChecks(options.api, options.flows ?? []), ...generated], options.api, options.only));
  const checker = SpecChecker.load(options.api);

  await probe(base, timeoutMs);
  const control = new ControlClient(base, { adminToken: options.adminToken, timeoutMs });
  const hasControl = controlFound(await control.probe(), control.url);

  const runId = randomUUID().slice(0, 8);
  const context: RunContext = {
    api: options.api,
    base,
    checker,
    runId,
    scope: { accounts: accountsFor(options.api, target, { isolated: hasControl }), fixture: target.fixture, run: { id: runId } },
    control: hasControl ? control : undefined,
    sessionPrefix: `verify-${runId}`,
    otpCommand: options.otpCommand,
    destructive: options.destructive ?? false,
    timeoutMs,
    functions: stepFunctions(new Credentials({ [options.api]: target.file }, undefined), options.api),
    waitWindowsS: options.waitWindowsS,
    onWait: options.onWait,
  };
  const index = new Map(checks.map((c, i) => [c, i]));
  return {
    checks,
    context,
    control: hasControl,
    generated: options.generated ? { count: generated.length, seed } : undefined,
    runCheck: (check) => runCheck(check, index.get(check) ?? 0, context),
  };
}

/** Runs the suite, one check after another, and reports. */
export async function verify(options: VerifyOptions): Promise<RunReport> {
  const startedAt = new Date();
  const started = performance.now();
  const suite = await prepareVerify(options);
  options.onStart?.({ base: suite.context.base, checks: suite.checks.length, control: suite.control, generated: suite.generated });
  const results: CheckResult[] = [];
  for (const check of suite.checks) {
    const result = await suite.runCheck(check);
    results.push(result);
    options.onResult?.(result);
  }
  return {
    suite: `verify ${options.api}`,
    target: suite.context.base,
    startedAt: startedAt.toISOString(),
    durationMs: performance.now() - started,
    results,
  };
}

function targetBase(target: string): string {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new StartupError(`--target ${JSON.stringify(target)} is not a URL (e.g. http://127.0.0.1:4600/b2core)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new StartupError(`--target must be an http:// or https:// URL, not ${url.protocol}`);
  if (url.search || url.hash) throw new StartupError('--target is a base URL: no query string or fragment');
  return url.toString().replace(/\/+$/, '');
}

/** Any HTTP answer at all (a 404 too) means the target is there. */
async function probe(base: string, timeoutMs: number): Promise<void> {
  try {
    const res = await fetch(base, { method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
  } catch (err) {
    throw new StartupError(`cannot reach the target: ${describeFetchError(err, `GET ${base}`, timeoutMs)}`);
  }
}

/** The checks `only` names, in file order; an entry that names no check is an error. */
export function selectChecks(checks: LoadedCheck[], api: string, only: string[] | undefined): LoadedCheck[] {
  if (!only || only.length === 0) return checks;
  const matchers = only.map((entry) => {
    const full = entry.startsWith(`${api}.`) || entry.startsWith('*') ? entry : `${api}.${entry}`;
    const regex = new RegExp(`^${full.split('*').map(escapeRegex).join('.*')}(\\..*)?$`);
    return { entry, test: (id: string) => regex.test(id) };
  });
  const unknown = matchers.filter((m) => !checks.some((c) => m.test(c.id))).map((m) => m.entry);
  if (unknown.length > 0) {
    throw new StartupError(`--only: no ${api} check is called ${unknown.join(', ')}; the checks are:\n  ${checks.map((c) => c.id).join('\n  ')}`);
  }
  return checks.filter((c) => matchers.some((m) => m.test(c.id)));
}

/**
 * The order checks run in: the file order, but the destructive checks after the others, and those
 * marked `order: last` (lockouts) after everything, so that on a shared target nothing runs in a
 * window they leave.
 */
function runOrder(checks: LoadedCheck[]): LoadedCheck[] {
  const rank = (c: LoadedCheck) => (c.spec.order === 'last' ? 2 : c.spec.kind === 'destructive' ? 1 : 0);
  return checks.map((c, i) => ({ c, i })).sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i).map(({ c }) => c);
}

function escapeRegex(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
