/**
 * Replays the entries of a HAR in order against the target: each request is rebuilt (carried
 * tokens, filled secrets), sent, checked against the spec, and compared with the recorded response.
 * One CheckResult per API call, and for a WebSocket entry one for opening it and one per frame sent
 * (ws-replay.ts); entries that are not calls of a known API (pages, scripts, the control API, CORS
 * preflights, other sockets) are left out and counted.
 */
import { performance } from 'node:perf_hooks';
import { mediaTypeOf } from '../engine/body';
import type { CheckResult } from '../report';
import { CarryForward } from './carry';
import { compareResponses, type Difference } from './compare';
import { stepNumber, type ReplayEnv } from './env';
import { fillRequest, type FillContext } from './fill';
import { headerValues, type Har, type HarEntry } from './har';
import { parseJson } from './json-walk';
import type { ApiLocator, Located } from './locate-api';
import { send } from './send';
import { replayWebSocket } from './ws-replay';
import { WsSpec } from './ws-spec';

export interface HarReplay {
  results: CheckResult[];
  /** Entries that are not calls of a known API. */
  ignored: number;
}

export async function replayHar(har: Har, name: string, locator: ApiLocator, env: ReplayEnv): Promise<HarReplay> {
  const carry = new CarryForward();
  const contexts = new Map<string, FillContext>();
  const results: CheckResult[] = [];
  const specs = new Map<string, WsSpec>();
  const located = har.log.entries.map((entry) => ({ entry, where: locator.locateEntry(entry) }));
  const calls = located.filter((l): l is { entry: HarEntry; where: Located } => l.where !== undefined);
  for (const [i, { entry, where }] of calls.entries()) {
    let ctx = contexts.get(where.api);
    if (!ctx) {
      ctx = { api: where.api, carry, credentials: env.credentials, hasOutbox: env.hasOutbox };
      contexts.set(where.api, ctx);
    }
    const id = `${name}.${stepNumber(i, calls.length)}`;
    if (where.websocket) {
      let spec = specs.get(where.api);
      if (!spec) specs.set(where.api, (spec = WsSpec.load(where.api)));
      results.push(...(await replayWebSocket(entry, where, id, ctx, carry, env, spec)));
      continue;
    }
    const result = await replayEntry(entry, where, id, ctx, carry, env);
    results.push(result);
    env.onResult?.(result);
  }
  return { results, ignored: located.length - calls.length };
}

async function replayEntry(entry: HarEntry, where: Located, id: string, ctx: FillContext, carry: CarryForward, env: ReplayEnv): Promise<CheckResult> {
  const method = entry.request.method.toUpperCase();
  const request = `${method} ${where.path}`;
  const base: Omit<CheckResult, 'status' | 'durationMs'> = {
    id: `${id}.${where.operationId ?? 'unknown'}`,
    title: request,
    request: `${request} (${where.api})`,
  };
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  if (entry.response.status === 0) {
    return { ...base, status: 'skipped', durationMs: 0, reason: 'the recording has no response for this request (status 0)' };
  }
  const post = entry.request.postData;
  const bodyText = post?.text ?? (post?.params ? new URLSearchParams(post.params.map((p): [string, string] => [p.name, p.value])).toString() : undefined);
  const filled = await fillRequest(
    {
      method,
      pathAndQuery: where.pathAndQuery,
      headers: entry.request.headers,
      body: bodyText === undefined || post === undefined ? undefined : { mimeType: post.mimeType, text: bodyText },
    },
    env.baseUrl(where.api),
    ctx,
  );
  if (filled.unfilled.length > 0) {
    return { ...base, status: 'failed', durationMs: elapsed(), reason: `cannot fill a redacted value: ${filled.unfilled.join('; ')}` };
  }
  Object.assign(filled.request.headers, env.extraHeaders);
  const sent = await send(filled.request, env.timeoutMs);
  if (!sent.ok) return { ...base, status: 'failed', durationMs: elapsed(), reason: `no response: ${sent.error}` };
  const live = sent.response;
  const recordedText = recordedBody(entry);
  const recordedMedia = mediaTypeOf(entry.response.content.mimeType || headerValues(entry.response.headers, 'content-type')[0]);
  const recordedJson = recordedText !== undefined && recordedMedia.includes('json') ? parseJson(recordedText) : { ok: false as const };
  const liveJson = live.mediaType.includes('json') ? parseJson(live.text) : { ok: false as const };
  carry.learn(
    recordedJson.ok ? recordedJson.value : undefined,
    liveJson.ok ? liveJson.value : undefined,
    headerValues(entry.response.headers, 'set-cookie'),
    live.setCookies,
  );

  const spec = env.checker(where.api).check({ method, path: where.path, status: live.status, contentType: live.contentType, body: live.text });
  const differences = compareResponses({ status: entry.response.status, mediaType: recordedMedia, text: recordedText }, live);
  if (spec.problems.length === 0 && differences.length === 0) return { ...base, status: 'passed', durationMs: elapsed() };

  const reasons: string[] = [];
  if (differences.length > 0) reasons.push(`differs from the recording: ${differences.slice(0, 5).map(describe).join('; ')}${more(differences.length)}`);
  if (spec.problems.length > 0) {
    reasons.push(`breaks the spec${spec.operationId ? ` (${spec.operationId})` : ''}: ${spec.problems.slice(0, 5).map((p) => `${p.path}: ${p.message}`).join('; ')}${more(spec.problems.length)}`);
  }
  const first = differences[0];
  return {
    ...base,
    status: 'failed',
    durationMs: elapsed(),
    reason: reasons.join('; and '),
    expected: first ? `${first.path} = ${first.recorded} (recorded)` : `a response the spec allows for ${method} ${where.path}`,
    actual: first ? `${first.path} = ${first.live}` : `${live.status} ${truncate(live.text)}`,
  };
}

function recordedBody(entry: HarEntry): string | undefined {
  const content = entry.response.content;
  if (content.text === undefined) return undefined;
  return content.encoding === 'base64' ? Buffer.from(content.text, 'base64').toString('utf8') : content.text;
}

function describe(d: Difference): string {
  return `${d.path}: recorded ${d.recorded}, now ${d.live}`;
}

function more(n: number): string {
  return n > 5 ? ` (and ${n - 5} more)` : '';
}

function truncate(text: string): string {
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}
