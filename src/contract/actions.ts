import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { parsePrivateKey, signEmail } from '../apis/fib/signing';
import type { ControlClient } from '../control/client';
import { SESSION_HEADER } from './http-client';
import { runOtpCommand } from './otp';

/** What an action may use: the target, the check's state session and the run's options. */
export interface ActionContext {
  api: string;
  /** The API's base URL. */
  base: string;
  /** The check's state session on an authdouble target. */
  session?: string;
  /** The control API, bound to the check's session, when the target offers it. */
  control?: ControlClient;
  otpCommand?: string;
  timeoutMs: number;
}

/** An action could not do its part; the check fails with this message. */
export class ActionFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ActionFailed';
  }
}

type Action = (args: Record<string, unknown>, ctx: ActionContext) => Promise<unknown>;

/**
 * The steps a flow file cannot express as data: each takes `with:` and gives a `body` to expect
 * on and save from.
 */
export const actions: Record<string, Action> = {
  /** `{email}` → `{code}`: the 2FA code, from --otp-command, else the mock's outbox. */
  async otp(args, ctx) {
    const email = text(args, 'email');
    if (ctx.otpCommand) {
      try {
        return { code: await runOtpCommand(ctx.otpCommand, { api: ctx.api, email }, ctx.timeoutMs) };
      } catch (err) {
        throw new ActionFailed((err as Error).message);
      }
    }
    if (!ctx.control) throw new ActionFailed('no 2FA code source: the target has no control API and no --otp-command was given');
    const code = await ctx.control.latestCode(ctx.api, email);
    if (code === undefined) throw new ActionFailed(`the outbox has no code for ${email}: the sign-in sent no 2FA message`);
    return { code };
  },

  /**
   * `{email, privateKey}` → `{signature, publicKey}`: the FIB sign-in signature. `privateKey:
   * random` signs with a key nobody registered.
   */
  async fibSign(args) {
    const hex = text(args, 'privateKey');
    const key = parsePrivateKey(hex === 'random' ? randomBytes(32).toString('hex') : hex);
    return { signature: signEmail(text(args, 'email'), key), publicKey: key.publicKeyHex };
  },

  /** `{message, path?}` → the first message the API's WebSocket answers, parsed as JSON. */
  async ws(args, ctx) {
    const suffix = typeof args.path === 'string' && args.path !== '/' ? args.path : '';
    const url = `${ctx.base.replace(/^http/, 'ws')}${suffix}`;
    const message = typeof args.message === 'string' ? args.message : JSON.stringify(args.message);
    return wsRequest(url, message, ctx.session ? { [SESSION_HEADER]: ctx.session } : {}, ctx.timeoutMs);
  },

  /**
   * `{past}` (an ISO instant, or epoch milliseconds) or `{advanceSeconds}`: moves the target's
   * virtual clock just past that instant, or by that many seconds plus one.
   */
  async clock(args, ctx) {
    if (!ctx.control) throw new ActionFailed('the target offers no clock control');
    let byMs: number;
    if (args.past !== undefined) {
      const at = typeof args.past === 'number' ? args.past : Date.parse(String(args.past));
      if (Number.isNaN(at)) throw new ActionFailed(`clock: ${JSON.stringify(args.past)} is not an instant`);
      byMs = at + 1000 - (await ctx.control.clock.get()).now.getTime();
    } else {
      byMs = (Number(args.advanceSeconds) + 1) * 1000;
      if (Number.isNaN(byMs)) throw new ActionFailed(`clock: advanceSeconds ${JSON.stringify(args.advanceSeconds)} is not a number`);
    }
    const now = byMs > 0 ? await ctx.control.clock.advance(`PT${Math.ceil(byMs / 1000)}S`) : await ctx.control.clock.get();
    return { now: now.now.toISOString() };
  },
};

/** The names flow files use: `fib-sign` for `fibSign`. */
export function actionNamed(name: string): Action | undefined {
  const key = name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
  return Object.hasOwn(actions, key) ? actions[key] : undefined;
}

function text(args: Record<string, unknown>, name: string): string {
  const value = args[name];
  if (typeof value !== 'string' || value === '') throw new ActionFailed(`the action needs "${name}" (a string)`);
  return value;
}

function wsRequest(url: string, message: string, headers: Record<string, string>, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, handshakeTimeout: timeoutMs });
    const timer = setTimeout(() => finish(new ActionFailed(`WebSocket ${url}: no answer within ${timeoutMs} ms`)), timeoutMs);
    let done = false;
    function finish(outcome: Error | { value: unknown }) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.terminate();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome.value);
    }
    ws.once('open', () => ws.send(message));
    ws.once('message', (data: WebSocket.RawData) => {
      const raw = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
      try {
        finish({ value: JSON.parse(raw) as unknown });
      } catch {
        finish(new ActionFailed(`WebSocket ${url}: the answer is not JSON: ${raw.slice(0, 100)}`));
      }
    });
    ws.once('error', (err: Error) => finish(new ActionFailed(`WebSocket ${url}: ${err.message}`)));
    ws.once('close', (code: number) => finish(new ActionFailed(`WebSocket ${url}: closed (${code}) before answering`)));
  });
}
