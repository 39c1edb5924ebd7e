/**
 * Replays a WebSocket entry of a HAR (Chromium's `_webSocketMessages`): opens the socket on the
 * target with the upgrade request's headers (carried cookies and tokens, the replay's session),
 * sends the recorded "send" frames in order with their markers filled (a redacted `connect` token
 * becomes the live access token an earlier step returned), and holds each answer to the AsyncAPI
 * document and to the recorded answer, by the rules HTTP responses are compared by.
 *
 * Results: `<step>.open` for the upgrade, then `<step>.<n>.<operation>` for each sent frame, which
 * fails when one of its answers (the received frames recorded after it, matched by `id`) is
 * missing, breaks the document or differs from the recording.
 */
import { performance } from 'node:perf_hooks';
import { WebSocket, type RawData } from 'ws';
import type { CheckResult } from '../report';
import type { CarryForward } from './carry';
import { compareMessages, type Difference } from './compare';
import type { ReplayEnv } from './env';
import { fillMessage, fillRequest, type FillContext } from './fill';
import type { HarEntry, HarWebSocketMessage } from './har';
import { parseJson } from './json-walk';
import type { Located } from './locate-api';
import { frameId, requestTypeOf, type WsSpec } from './ws-spec';

const TEXT = 1;
const BINARY = 2;
const CLOSE = 8;

interface LiveFrame {
  text: string;
  binary: boolean;
}

/** The live socket's frames, taken by the recorded answers they stand for. */
class Inbox {
  private readonly frames: LiveFrame[] = [];
  private wake: (() => void) | undefined;
  closed: string | undefined;

  push(frame: LiveFrame): void {
    this.frames.push(frame);
    this.wake?.();
  }

  close(why: string): void {
    this.closed ??= why;
    this.wake?.();
  }

  /** The first frame with `id` (any frame when the recorded answer has none), waiting up to `timeoutMs`. */
  async take(id: string | number | undefined, timeoutMs: number): Promise<LiveFrame | string> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex((f) => id === undefined || (!f.binary && frameId(parseJsonValue(f.text)) === id));
      if (i >= 0) return this.frames.splice(i, 1)[0]!;
      if (this.closed !== undefined) return `the target closed the WebSocket (${this.closed}) before answering`;
      const left = deadline - performance.now();
      if (left <= 0) return `no answer within ${timeoutMs} ms`;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}

function parseJsonValue(text: string): unknown {
  const parsed = parseJson(text);
  return parsed.ok ? parsed.value : undefined;
}

/** One sent frame and what came back for it. */
interface Step {
  n: number;
  type?: string;
  operation?: string;
  started: number;
  reasons: string[];
  firstDifference?: Difference;
  specProblem?: string;
  /** Its answers are not awaited: the frame could not be sent. */
  unsent?: boolean;
  /** Recorded answers checked. */
  answers: number;
}

export async function replayWebSocket(
  entry: HarEntry,
  where: Located,
  id: string,
  ctx: FillContext,
  carry: CarryForward,
  env: ReplayEnv,
  spec: WsSpec,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const report = (result: CheckResult): void => {
    results.push(result);
    env.onResult?.(result);
  };
  const socketLabel = `WS ${where.path}`;
  const openResult = { id: `${id}.open`, title: `${socketLabel} (open the WebSocket)`, request: `GET ${where.pathAndQuery} upgrade (${where.api})` };
  const t0 = performance.now();
  if (entry.response.status === 0) {
    report({ ...openResult, status: 'skipped', durationMs: 0, reason: 'the recording has no response for this upgrade (status 0)' });
    return results;
  }
  const filled = await fillRequest({ method: 'GET', pathAndQuery: where.pathAndQuery, headers: entry.request.headers }, env.baseUrl(where.api), ctx);
  if (filled.unfilled.length > 0) {
    report({ ...openResult, status: 'failed', durationMs: performance.now() - t0, reason: `cannot fill a redacted value: ${filled.unfilled.join('; ')}` });
    return results;
  }
  const headers = Object.fromEntries(Object.entries({ ...filled.request.headers, ...env.extraHeaders }).filter(([name]) => !name.toLowerCase().startsWith('sec-websocket-')));
  const url = filled.request.url.replace(/^http/i, 'ws');
  const inbox = new Inbox();
  const opened = await openSocket(url, headers, env.timeoutMs, inbox);
  const recordedStatus = entry.response.status;
  if (!opened.ok) {
    const expectedRefusal = recordedStatus !== 101 && opened.status === recordedStatus;
    report({
      ...openResult,
      status: expectedRefusal ? 'passed' : 'failed',
      durationMs: performance.now() - t0,
      ...(expectedRefusal ? {} : { reason: `the WebSocket did not open: ${opened.error}`, expected: `${recordedStatus} (recorded)`, actual: opened.status === undefined ? opened.error : String(opened.status) }),
    });
    return results;
  }
  const socket = opened.socket;
  if (recordedStatus !== 101) {
    socket.terminate();
    report({ ...openResult, status: 'failed', durationMs: performance.now() - t0, reason: `differs from the recording: status: recorded ${recordedStatus}, now 101`, expected: `${recordedStatus} (recorded)`, actual: '101' });
    return results;
  }
  report({ ...openResult, status: 'passed', durationMs: performance.now() - t0 });

  const messages = entry._webSocketMessages ?? [];
  let sent = 0;
  // Answers recorded before the first frame was sent (a greeting) belong to no step: checked as step 0.
  let current: Step = { n: 0, started: performance.now(), reasons: [], answers: 0 };
  const finish = (step: Step): void => {
    // Step 0 is reported when there was something to check: a greeting the recording has.
    if (step.n === 0 && step.answers === 0) return;
    const label = step.type ?? 'frame';
    const passed = step.reasons.length === 0;
    const first = step.firstDifference;
    report({
      id: `${id}.${step.n}.${step.operation ?? label}`,
      title: step.n === 0 ? `${socketLabel} (frames before any was sent)` : `${socketLabel} ${label}`,
      request: `${socketLabel} ${label} (${where.api})`,
      status: passed ? 'passed' : 'failed',
      durationMs: performance.now() - step.started,
      ...(passed
        ? {}
        : {
            reason: step.reasons.join('; and '),
            expected: first ? `${first.path} = ${first.recorded} (recorded)` : `an answer the AsyncAPI document allows to ${label}`,
            actual: first ? `${first.path} = ${first.live}` : (step.specProblem ?? step.reasons[0]!),
          }),
    });
  };

  for (const message of messages) {
    if (message.type === 'send') {
      if (message.opcode === CLOSE) break;
      if (message.opcode !== TEXT && message.opcode !== BINARY) continue;
      finish(current);
      const recordedJson = message.opcode === TEXT ? parseJsonValue(message.data) : undefined;
      const type = requestTypeOf(recordedJson);
      current = { n: ++sent, type, operation: spec.operationOf(type), started: performance.now(), reasons: [], answers: 0 };
      const frame = message.opcode === BINARY ? { data: Buffer.from(message.data, 'base64'), unfilled: [] } : await fillMessage(message.data, ctx).then((f) => ({ data: f.text, unfilled: f.unfilled }));
      if (frame.unfilled.length > 0) {
        current.reasons.push(`cannot fill a redacted value: ${frame.unfilled.join('; ')}`);
        current.unsent = true;
        continue;
      }
      if (socket.readyState !== WebSocket.OPEN) {
        current.reasons.push(`not sent: ${inbox.closed === undefined ? 'the WebSocket is closed' : `the target closed the WebSocket (${inbox.closed})`}`);
        current.unsent = true;
        continue;
      }
      socket.send(frame.data, { binary: message.opcode === BINARY });
      continue;
    }
    if (message.opcode !== TEXT && message.opcode !== BINARY) continue;
    if (current.unsent) continue;
    current.answers++;
    checkAnswer(message, current, await inbox.take(message.opcode === TEXT ? frameId(parseJsonValue(message.data)) : undefined, env.timeoutMs), spec, carry);
  }
  finish(current);
  await closeSocket(socket, env.timeoutMs);
  return results;
}

function checkAnswer(recorded: HarWebSocketMessage, step: Step, live: LiveFrame | string, spec: WsSpec, carry: CarryForward): void {
  if (typeof live === 'string') {
    step.reasons.push(live);
    return;
  }
  const recordedText = recorded.opcode === BINARY ? Buffer.from(recorded.data, 'base64').toString('utf8') : recorded.data;
  const differences = compareMessages(recordedText, live.text);
  const liveJson = live.binary ? undefined : parseJsonValue(live.text);
  carry.learn(parseJsonValue(recordedText), liveJson, [], []);
  if (differences.length > 0) {
    step.firstDifference ??= differences[0];
    step.reasons.push(`differs from the recording: ${differences.slice(0, 5).map((d) => `${d.path}: recorded ${d.recorded}, now ${d.live}`).join('; ')}${differences.length > 5 ? ` (and ${differences.length - 5} more)` : ''}`);
  }
  const check = spec.checkAnswer(step.type, liveJson);
  if (check.problems.length > 0) {
    step.specProblem ??= truncate(live.text);
    step.reasons.push(`breaks the AsyncAPI document (${check.operation}): ${check.problems.slice(0, 5).join('; ')}`);
  }
}

type Opened = { ok: true; socket: WebSocket } | { ok: false; status?: number; error: string };

function openSocket(url: string, headers: Record<string, string>, timeoutMs: number, inbox: Inbox): Promise<Opened> {
  return new Promise((resolve) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(url, { headers, handshakeTimeout: timeoutMs, perMessageDeflate: false });
    } catch (err) {
      resolve({ ok: false, error: (err as Error).message });
      return;
    }
    socket.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8').trim();
        resolve({ ok: false, status: res.statusCode, error: `${res.statusCode} ${truncate(body)}` });
      });
      res.on('error', () => resolve({ ok: false, status: res.statusCode, error: String(res.statusCode) }));
    });
    socket.on('error', (err) => {
      inbox.close(err.message);
      resolve({ ok: false, error: err.message });
    });
    socket.on('open', () => resolve({ ok: true, socket }));
    socket.on('message', (data: RawData, binary: boolean) => {
      const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      inbox.push({ text: buffer.toString('utf8'), binary });
    });
    socket.on('close', (code, reason) => inbox.close(`code ${code}${reason.length > 0 ? ` ${reason.toString('utf8')}` : ''}`));
  });
}

function closeSocket(socket: WebSocket, timeoutMs: number): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.terminate();
      resolve();
    }, Math.min(timeoutMs, 2000));
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.close(1000);
  });
}

function truncate(text: string): string {
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}
