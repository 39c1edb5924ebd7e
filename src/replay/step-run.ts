/**
 * Runs a steps file under `replay`, with the same runner as `verify` (src/contract/run-check.ts): a
 * file of one sequence of `steps` reports each step (`<file>.<n>`) and goes on after a failure; a
 * file of `checks` reports each check (`<file>.<check id>`), each in its own state session where the
 * target has the control API.
 */
import { randomUUID } from 'node:crypto';
import { accountsFor } from '../contract/accounts';
import { loadTargetFixture } from '../contract/fixture-file';
import type { LoadedCheck } from '../contract/load-flows';
import { runCheck, runEachStep, type RunContext } from '../contract/run-check';
import type { StepFile } from '../contract/step-file';
import type { ControlClient } from '../control/client';
import type { SpecChecker } from '../engine/spec-checker';
import type { CheckResult } from '../report';
import { stepFunctions, type Credentials } from './credentials';

export interface StepRunEnv {
  baseUrl(api: string): string;
  checker: SpecChecker;
  credentials: Credentials;
  /** Each API's fixture file given with --fixtures (the defaults for the others). */
  fixtureFiles: Record<string, string>;
  /** The target's control API, when it has one. */
  control?: ControlClient;
  /** The file's state session (fresh per file with a control API, or --session). */
  session?: string;
  /** --session, which every check of a `checks` file then shares. */
  userSession?: string;
  timeoutMs: number;
  onResult?(result: CheckResult): void;
}

export async function runStepFile(file: StepFile, env: StepRunEnv): Promise<CheckResult[]> {
  const target = loadTargetFixture(file.api, env.fixtureFiles[file.api]);
  const runId = randomUUID().slice(0, 8);
  const ctx: RunContext = {
    api: file.api,
    base: env.baseUrl(file.api).replace(/\/+$/, ''),
    checker: env.checker,
    runId,
    scope: { accounts: accountsFor(file.api, target, { isolated: env.control !== undefined }), fixture: target.fixture, run: { id: runId } },
    control: env.control,
    sessionPrefix: `replay-${runId}`,
    // A file is run because it was named: its destructive checks too.
    destructive: true,
    timeoutMs: env.timeoutMs,
    stepWhere: true,
    functions: stepFunctions(env.credentials, file.api),
  };
  const checks: LoadedCheck[] = file.checks.map((spec, i) => ({ id: `${file.name}.${spec.id}`, file: file.file, spec, stepLines: file.stepLines[i] }));
  if (file.shape === 'steps') return runEachStep(checks[0]!, file.name, { ...ctx, fixedSession: env.session }, env.onResult);
  const results: CheckResult[] = [];
  for (const [i, check] of checks.entries()) {
    const result = await runCheck(check, i, { ...ctx, fixedSession: env.userSession });
    results.push(result);
    env.onResult?.(result);
  }
  return results;
}
