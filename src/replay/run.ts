/**
 * `authdouble replay FILE...`: loads HAR recordings and fixture scenarios, picks the target (a fresh
 * in-process mock unless --target names one), gives each file a fresh state session where the
 * target has the control API, runs them in order and returns the run's report. A file that cannot
 * be read or a target that cannot be reached is `{ ok: false }` (exit 2), never a half-run report.
 */
import { SESSION_HEADER } from '../headers';
import { randomUUID } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { apiModules } from '../apis';
import { ControlClient } from '../control/client';
import { controlFound } from '../control/found';
import { fixtureFilesFrom } from '../fixtures/source';
import { SpecChecker } from '../engine/spec-checker';
import { StartupError } from '../errors';
import { startMock, type StartedMock } from '../index';
import type { CheckResult, RunReport } from '../report';
import { Credentials } from './credentials';
import type { ReplayEnv } from './env';
import type { Har } from './har';
import { readHar } from './har-file';
import { replayHar } from './har-replay';
import { ApiLocator } from './locate-api';
import { loadStepFile, type StepFile } from '../contract/step-file';
import { runStepFile } from './step-run';
import { describeFetchError } from './send';

export interface ReplayOptions {
  /** `.har` (or `.json`) recordings and `.yaml` scenarios, run in this order. */
  files: string[];
  /** The API's base URL on the target; without it a fresh in-process mock. */
  target?: string;
  /** A folder of `<api>.yaml` fixture files or one API's fixture file, for credentials and for the in-process mock. */
  fixtures?: string;
  specDir?: string;
  /** Milliseconds for each request (default 10 s). */
  timeoutMs?: number;
  /** Use this state session on the target instead of a fresh one per file. */
  session?: string;
  /** The target's --admin-token, for its control API. */
  adminToken?: string;
  /** Progress: each check as it finishes, and notes. */
  onResult?(result: CheckResult): void;
  onNote?(line: string): void;
}

export type ReplayOutcome = { ok: true; report: RunReport } | { ok: false; message: string };

type Loaded = { kind: 'har'; file: string; har: Har; locator: ApiLocator; apis: string[] } | { kind: 'steps'; file: string; steps: StepFile };

export async function runReplay(options: ReplayOptions): Promise<ReplayOutcome> {
  const startedAt = new Date();
  const t0 = performance.now();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const known = apiModules.map((m) => m.id);
  const checkers = new Map<string, SpecChecker>();
  let loaded: Loaded[];
  try {
    for (const api of known) checkers.set(api, SpecChecker.load(api, options.specDir));
    loaded = expandFolders(options.files).map((file) => load(file, known, checkers));
  } catch (err) {
    if (err instanceof StartupError) return { ok: false, message: err.message };
    throw err;
  }
  const apis = [...new Set(loaded.flatMap((l) => (l.kind === 'har' ? l.apis : [l.steps.api])))];
  if (apis.length === 0) return { ok: false, message: `${options.files.join(', ')}: no request in it is a call of ${known.join(', ')}` };
  let fixtureFiles: Record<string, string> = {};
  try {
    if (options.fixtures !== undefined) fixtureFiles = fixtureFilesFrom(options.fixtures, { apis, api: apis.length === 1 ? apis[0] : undefined, known });
  } catch (err) {
    if (err instanceof StartupError) return { ok: false, message: err.message };
    throw err;
  }

  let mock: StartedMock | undefined;
  let baseUrl: (api: string) => string;
  let targetLabel: string;
  try {
    if (options.target === undefined) {
      mock = await startMock({ apis, fixtureFiles, specDir: options.specDir });
      const urls = mock.urls;
      baseUrl = (api) => urls[api]!;
      targetLabel = `a fresh authdouble (${mock.url})`;
    } else {
      let target: URL;
      try {
        target = new URL(options.target);
        if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error('not http(s)');
      } catch {
        return { ok: false, message: `--target ${options.target}: not an http(s) URL` };
      }
      const root = `${target.origin}${target.pathname.replace(/\/+$/, '')}`;
      const last = root.split('/').pop() ?? '';
      if (apis.length > 1 && known.includes(last)) {
        return {
          ok: false,
          message: `--target ${options.target} is the ${last} API's base URL, but the files call ${apis.join(', ')}: with several APIs, --target is the origin of an authdouble serving each under /<api> (${target.origin}), or replay one API's files at a time`,
        };
      }
      // One API: the target is its base URL. Several: an authdouble serving each under /<api>.
      baseUrl = apis.length === 1 ? () => root : (api) => `${root}/${api}`;
      targetLabel = root;
      const reach = await reachable(root, timeoutMs);
      if (reach !== undefined) return { ok: false, message: `cannot reach the target ${root}: ${reach}` };
    }
    const origin = new URL(baseUrl(apis[0]!)).origin;
    const control = new ControlClient(origin, { adminToken: options.adminToken, timeoutMs });
    const hasControl = controlFound(await control.probe(), control.url);
    if (!hasControl) options.onNote?.(`${origin} has no control API: replaying in its current state, without an outbox`);

    const results: CheckResult[] = [];
    for (const item of loaded) {
      const session = hasControl ? (options.session ?? `replay-${randomUUID()}`) : options.session;
      const sessionControl = session === undefined ? control : control.session(session);
      const env: ReplayEnv = {
        baseUrl,
        checker: (api) => checkers.get(api)!,
        credentials: new Credentials(fixtureFiles, hasControl ? sessionControl : undefined),
        hasOutbox: hasControl,
        extraHeaders: session === undefined ? {} : { [SESSION_HEADER]: session },
        timeoutMs,
        onResult: options.onResult,
      };
      const name = path.basename(item.file).replace(/\.(har|json|ya?ml)$/i, '');
      if (item.kind === 'har') {
        const replay = await replayHar(item.har, name, item.locator, env);
        if (replay.ignored > 0) options.onNote?.(`${item.file}: left out ${replay.ignored} entries that are not API calls (pages, assets, /__admin, preflights)`);
        results.push(...replay.results);
      } else {
        results.push(...(await runStepFile(item.steps, { baseUrl, checker: checkers.get(item.steps.api)!, credentials: env.credentials, fixtureFiles, control: hasControl ? control : undefined, session, userSession: options.session, timeoutMs, onResult: options.onResult })));
      }
    }
    return {
      ok: true,
      report: { suite: `replay ${options.files.join(' ')}`, target: targetLabel, startedAt: startedAt.toISOString(), durationMs: performance.now() - t0, results },
    };
  } catch (err) {
    if (err instanceof StartupError) return { ok: false, message: err.message };
    throw err;
  } finally {
    await mock?.close();
  }
}

function load(file: string, known: string[], checkers: Map<string, SpecChecker>): Loaded {
  if (/\.ya?ml$/i.test(file)) return { kind: 'steps', file, steps: loadStepFile(file, known, 'the scenario') };
  const har = readHar(file);
  const note = har.log._authdouble;
  if (note && !known.includes(note.api)) throw new StartupError(`${file}: log._authdouble.api "${note.api}" is not one of ${known.join(', ')}`);
  const locator = new ApiLocator(checkers, note);
  const apis = new Set<string>();
  for (const entry of har.log.entries) {
    const where = locator.locateEntry(entry);
    if (where) apis.add(where.api);
  }
  return { kind: 'har', file, har, locator, apis: [...apis] };
}

/** undefined when something answers HTTP at `url`; else why not. */
async function reachable(url: string, timeoutMs: number): Promise<string | undefined> {
  try {
    const res = await fetch(url, { method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return undefined;
  } catch (err) {
    return describeFetchError(err, timeoutMs);
  }
}

/** A folder among the files stands for its `.har`, `.json`, `.yaml` and `.yml` files, in name order. */
function expandFolders(files: string[]): string[] {
  return files.flatMap((file) => {
    let entries: string[];
    try {
      if (!statSync(file).isDirectory()) return [file];
      entries = readdirSync(file);
    } catch {
      return [file];
    }
    const found = entries.filter((f) => /\.(har|json|ya?ml)$/i.test(f)).sort().map((f) => path.join(file, f));
    if (found.length === 0) throw new StartupError(`${file}: the folder has no .har or .yaml file to replay`);
    return found;
  });
}
