import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { startMock, type StartedMock } from '../../src/index';
import { launchChromium } from '../helpers/chromium';

/**
 * The auth part of the official SAMA web SDK (`@sama-communications/sdk`, source in
 * SAMA-Communications/sama-client `packages/sdk/src/api/api.ts`), done in Chromium from a page on
 * another origin with the same requests the SDK makes (the SDK is not on this npm registry, and its
 * code is not copied here):
 * - `sendHttpPromise(method, endpoint, data)`: `fetch(<http>/<endpoint>, {method, credentials:
 *   'include', headers: {'Content-Type': 'application/json', Authorization: 'Bearer <localStorage
 *   sessionId>' when set}, body: JSON})`; a non-2xx answer throws its text;
 * - `sendRequest(action, data = {}, key = 'success')`: sends `{request: {[action]: data, id}}` on the
 *   socket and resolves `response[key]` of the answer with that id, or rejects `response.error`;
 * - `userLogin({login, password})` posts `{organization_id, device_id, login?, password?}` to
 *   `login`; `connectSocket` sends `connect {token, device_id}`; `disconnectSocket` sends
 *   `user_logout`; `userLogout` posts `logout` with no body; `userCreate` sends `user_create
 *   {organization_id, login, email, password}` and resolves `response.user`.
 */

interface Step {
  step: string;
  ok: boolean;
  value: unknown;
}

let browser: Browser;
let mock: StartedMock<'sama'>;
/** The frontend's origin: an empty page on 127.0.0.1 and another port than the mock's. */
let pageServer: Server;
let pageOrigin: string;
beforeAll(async () => {
  pageServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>sdk</title>'));
  await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
  pageOrigin = `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}`;
  [browser, mock] = await Promise.all([launchChromium(), startMock({ apis: ['sama'] })]);
});
afterAll(async () => {
  pageServer?.closeAllConnections();
  await Promise.all([browser?.close(), mock?.close(), new Promise((resolve) => (pageServer ? pageServer.close(resolve) : resolve(undefined)))]);
});

it('the SDK flow works from another origin: login, connect, cookie login, disconnect, logout, create, login as the new user', async () => {
  const context = await browser.newContext();
  const tab = await context.newPage();
  const consoleErrors: string[] = [];
  tab.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  tab.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
  try {
    await tab.goto(`${pageOrigin}/`);
    const steps = (await tab.evaluate(
      async ({ http, ws, organizationId, deviceId }) => {
        const out: Array<{ step: string; ok: boolean; value: unknown }> = [];
        // The page's localStorage (typed here: the test's TypeScript has no DOM library).
        const localStorage = (globalThis as unknown as { localStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void; removeItem(k: string): void } })
          .localStorage;
        const record = async (step: string, run: () => Promise<unknown>) => {
          try {
            out.push({ step, ok: true, value: await run() });
          } catch (err) {
            out.push({ step, ok: false, value: err instanceof Error ? `Error: ${err.message}` : err });
          }
        };

        // --- What api.ts does, written out ---
        const sendHttpPromise = async (method: string, endpoint: string, data: unknown) => {
          const headers: Record<string, string> = { 'Content-Type': 'application/json' };
          const accessToken = localStorage.getItem('sessionId');
          if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
          const params: RequestInit = { method, credentials: 'include', headers };
          if (data) params.body = JSON.stringify(data);
          const response = await fetch(`${http}/${endpoint}`, params);
          const text = await response.text();
          if (!response.ok) throw { status: response.status, text };
          return text ? JSON.parse(text) : {};
        };
        let socket: WebSocket | undefined;
        let counter = 0;
        const pending: Record<string, { resolve: (v: unknown) => void; reject: (e: unknown) => void; key: string }> = {};
        const connect = () =>
          new Promise<void>((resolve, reject) => {
            socket = new WebSocket(ws);
            socket.onopen = () => resolve();
            socket.onerror = () => reject(new Error('socket error'));
            socket.onmessage = (e: MessageEvent) => {
              const message = JSON.parse(e.data as string);
              const response = message.response;
              if (!response?.id || !pending[response.id]) return;
              const { resolve: ok, reject: fail, key } = pending[response.id]!;
              delete pending[response.id];
              if (response.error) fail(response.error);
              else ok(response[key]);
            };
          });
        const sendRequest = (action: string, data: unknown = {}, key = 'success') =>
          new Promise((resolve, reject) => {
            const request = { request: { [action]: data, id: `${action}_${++counter}` } };
            pending[request.request.id] = { resolve, reject, key };
            socket!.send(JSON.stringify(request));
          });
        const userLogin = (data: { login?: string; password?: string }) => {
          const body: Record<string, unknown> = { organization_id: organizationId, device_id: deviceId };
          if (data.login && data.password) Object.assign(body, { login: data.login, password: data.password });
          return sendHttpPromise('POST', 'login', body);
        };
        // What an app does with the answer (the SDK reads `sessionId` back for the Bearer header).
        const keepSession = (answer: { access_token: string; expired_at: number }) => {
          localStorage.setItem('sessionId', answer.access_token);
          localStorage.setItem('sessionExpiredAt', String(answer.expired_at));
          return answer;
        };

        await record('userLogin (password)', async () => keepSession(await userLogin({ login: 'login_u1', password: 'u1_password' })));
        await record('connect', connect);
        await record('connectSocket', () => sendRequest('connect', { token: localStorage.getItem('sessionId'), device_id: deviceId }));
        // A page reload: no token in storage, only the HttpOnly cookie the browser holds.
        localStorage.removeItem('sessionId');
        await record('userLogin (cookie only)', async () => keepSession(await userLogin({})));
        await record('ping', () => sendRequest('ping', {}, 'pong'));
        await record('disconnectSocket', () => sendRequest('user_logout'));
        await record('userLogout', () => sendHttpPromise('POST', 'logout', null));
        await record('userCreate', () =>
          sendRequest('user_create', { organization_id: organizationId, login: 'sdk_user', email: 'sdk_user@example.com', password: 'sdk_password' }, 'user'),
        );
        localStorage.removeItem('sessionId');
        await record('userLogin (new user)', async () => keepSession(await userLogin({ login: 'sdk_user', password: 'sdk_password' })));
        socket?.close();
        return out;
      },
      { http: `${mock.url}/sama`, ws: `${mock.url.replace(/^http/, 'ws')}/sama`, organizationId: '680a2fae96cc69d78861f101', deviceId: 'sdk-device' },
    )) as Step[];

    const by = (name: string) => steps.find((s) => s.step === name)!;
    expect(steps.map((s) => [s.step, s.ok])).toEqual([
      ['userLogin (password)', true],
      ['connect', true],
      ['connectSocket', true],
      ['userLogin (cookie only)', true],
      ['ping', true],
      ['disconnectSocket', true],
      // user_logout deleted the device's tokens (sama-server UserLogoutOperation), so the HTTP
      // logout that follows has no live access token: the real server's 401, as text.
      ['userLogout', false],
      ['userCreate', true],
      ['userLogin (new user)', true],
    ]);
    const first = by('userLogin (password)').value as { user: Record<string, string>; access_token: string; expired_at: number };
    expect(first.user).toMatchObject({ _id: '63480e68f4794709f802a2fa', native_id: '63480e68f4794709f802a2fa', login: 'login_u1' });
    expect(by('connectSocket').value).toBe(true);
    const reload = by('userLogin (cookie only)').value as { user: Record<string, string>; access_token: string };
    expect(reload.user._id).toBe(first.user._id);
    expect(reload.access_token).not.toBe(first.access_token);
    expect(by('ping').value).toEqual({});
    expect(by('disconnectSocket').value).toBe(true);
    expect(by('userLogout').value).toEqual({ status: 401, text: 'Missing authentication credentials.' });
    const created = by('userCreate').value as Record<string, string>;
    expect(created).toEqual(expect.objectContaining({ login: 'sdk_user', email: 'sdk_user@example.com', native_id: created._id }));
    const newUser = by('userLogin (new user)').value as { user: Record<string, string> };
    expect(newUser.user._id).toBe(created._id);
    // No CORS error, nothing else logged as an error but the 401 the failed logout logs.
    expect(consoleErrors.filter((e) => !/401/.test(e))).toEqual([]);

    // The requests went out as the SDK sends them: JSON bodies with organization_id and device_id,
    // the Bearer header on the password login's successor, the cookie on the reload.
    const journal = (await mock.control.requests({ api: 'sama' })).sort((a, b) => a.id - b.id);
    const http = journal.filter((e) => e.path === '/login' || e.path === '/logout');
    expect(http.map((e) => [e.method, e.path, e.status])).toEqual([
      ['POST', '/login', 200],
      ['POST', '/login', 200],
      ['POST', '/logout', 401],
      ['POST', '/login', 200],
    ]);
    const header = (e: (typeof http)[number], name: string) => {
      const v = e.requestHeaders?.[name];
      return Array.isArray(v) ? v.join('; ') : v;
    };
    expect(JSON.parse(http[0]!.requestBody!)).toEqual({ organization_id: '680a2fae96cc69d78861f101', device_id: 'sdk-device', login: 'login_u1', password: expect.any(String) });
    expect(header(http[0]!, 'content-type')).toBe('application/json');
    // The reload: no Bearer (nothing in storage), the signed cookie the browser kept.
    expect(JSON.parse(http[1]!.requestBody!)).toEqual({ organization_id: '680a2fae96cc69d78861f101', device_id: 'sdk-device' });
    expect(header(http[1]!, 'authorization')).toBeUndefined();
    expect(header(http[1]!, 'cookie')).toMatch(/refresh_token=s%3A/);
    // The logout: Bearer of the reload's token, the cookie, no body.
    expect(header(http[2]!, 'authorization')).toBe(`Bearer ${reload.access_token}`);
    expect(header(http[2]!, 'cookie')).toMatch(/refresh_token=s%3A/);
  } finally {
    await context.close();
  }
});
