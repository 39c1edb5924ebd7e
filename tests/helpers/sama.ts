import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Response } from 'supertest';
import WebSocket from 'ws';
import type { TestServer } from './server';

export const ORG = '680a2fae96cc69d78861f101';
export const ORG2 = '680a2fae96cc69d78861f102';
/** The user of the seed's HTTP example. */
export const U1 = { organization_id: ORG, login: 'login_u1', password: 'u1_password', device_id: 'device_u1' };
export const U1_ID = '63480e68f4794709f802a2fa';
/** The user of the seed's WebSocket example. */
export const USER1 = { organization_id: ORG, login: 'user_1', password: 'user_paswword_1', device_id: 'xxx-yyy-zzz' };
export const USER1_ID = '63480e68f4794709f802a2fb';

export const samaFixtureText = (): string => readFileSync(path.join(__dirname, '../../fixtures/sama.yaml'), 'utf8');

export interface LoginBody {
  user: { _id: string; login: string; created_at: string; updated_at: string };
  access_token: string;
  expired_at: number;
}

/** The value of the refresh_token cookie a response sets ('' when it clears it). */
/**
 * The refresh token inside a refresh_token cookie value: the real server's form is URL-encoded
 * `s:<token>.<signature>` (cookie-signature), so the token is between `s:` and the last `.`.
 */
export function tokenOfCookie(value: string): string {
  const decoded = decodeURIComponent(value);
  if (!decoded.startsWith('s:')) throw new Error(`the cookie value ${value.slice(0, 40)} is not signed`);
  return decoded.slice(2, decoded.lastIndexOf('.'));
}

export function refreshCookieOf(res: Response): string {
  const header = setCookie(res);
  const m = /^refresh_token=([^;]*)/.exec(header);
  if (!m) throw new Error(`no refresh_token cookie in ${JSON.stringify(res.headers['set-cookie'])}`);
  return m[1]!;
}

export function setCookie(res: Response): string {
  const raw = res.headers['set-cookie'] as unknown;
  const all = Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : [];
  if (all.length !== 1) throw new Error(`expected one Set-Cookie, got ${JSON.stringify(raw)}`);
  return all[0]!;
}

/** Logs in with login and password; returns the body and the refresh token. */
export async function login(server: TestServer, creds: Record<string, unknown> = U1): Promise<{ body: LoginBody; refresh: string }> {
  const res = await server.api('sama').post('/login').send(creds).expect(200);
  return { body: res.body as LoginBody, refresh: refreshCookieOf(res) };
}

export function bearer(token: string): [string, string] {
  return ['Authorization', `Bearer ${token}`];
}

export function cookie(refresh: string): [string, string] {
  return ['Cookie', `refresh_token=${refresh}`];
}

/** A ws client on the sama socket that collects messages in order. */
export interface SocketClient {
  ws: WebSocket;
  /** Sends `data` (objects as JSON) and resolves with the next message received, parsed. */
  request(data: unknown): Promise<any>;
  next(): Promise<any>;
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

export function wsUrl(server: TestServer, suffix = ''): string {
  return `${server.url.replace(/^http/, 'ws')}${server.prefixes.get('sama') ?? ''}${suffix}`;
}

export async function openSocket(url: string, headers: Record<string, string> = {}): Promise<SocketClient> {
  const ws = new WebSocket(url, { headers });
  const queue: any[] = [];
  const waiting: Array<(m: any) => void> = [];
  ws.on('message', (data) => {
    const parsed = JSON.parse(data.toString());
    const waiter = waiting.shift();
    if (waiter) waiter(parsed);
    else queue.push(parsed);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = (): Promise<any> =>
    queue.length > 0
      ? Promise.resolve(queue.shift())
      : new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no message within 5 s')), 5000);
          waiting.push((m) => {
            clearTimeout(timer);
            resolve(m);
          });
        });
  return {
    ws,
    next,
    request: (data) => {
      ws.send(typeof data === 'string' || Buffer.isBuffer(data) ? data : JSON.stringify(data));
      return next();
    },
    closed,
    close: async () => {
      if (ws.readyState === WebSocket.CLOSED) return;
      ws.close();
      await closed;
    },
  };
}
