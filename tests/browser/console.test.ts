import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium';
import { FOO, TWOFA } from '../helpers/b2core';
import { startTestServer, type TestServer } from '../helpers/server';

// The web console at /__admin/ui, driven in Debian's Chromium the way a developer uses it.

// What the functions run in the page use (this project's TypeScript has no DOM library).
declare const document: { querySelector(s: string): { textContent: string | null } | null; querySelectorAll(s: string): ArrayLike<{ textContent: string | null }> & Iterable<{ textContent: string | null }>; documentElement: { scrollWidth: number; clientWidth: number } };
declare const navigator: { clipboard: { readText(): Promise<string> } };
declare const sessionStorage: { getItem(key: string): string | null };

jest.setTimeout(60_000);

let server: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Requests the page made to anything but this server (the console must work offline). */
let outside: string[];

beforeAll(async () => {
  server = await startTestServer();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

beforeEach(async () => {
  await fetch(`${server.url}/__admin/reset`, { method: 'POST' });
  for (const session of ['other']) await fetch(`${server.url}/__admin/reset`, { method: 'POST', headers: { 'x-authdouble-session': session } });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  outside = [];
  // Anything but this server is refused, as on a machine with no network.
  await context.route('**/*', (route) => {
    if (route.request().url().startsWith('http://127.0.0.1:')) return route.continue();
    outside.push(route.request().url());
    return route.abort();
  });
  page = await context.newPage();
});
afterEach(async () => {
  // Closing the page ends its event stream before the server is closed.
  await context?.close();
  expect(outside).toEqual([]);
});

async function openConsole(): Promise<void> {
  await page.goto(`${server.url}/`);
  expect(page.url()).toBe(`${server.url}/__admin/ui`);
  await page.locator('#live.up').waitFor();
}

const b2core = (path: string, body: unknown, session?: string) =>
  fetch(`${server.url}/b2core${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(session ? { 'x-authdouble-session': session } : {}) },
    body: JSON.stringify(body),
  });

/** Signs in as the 2FA user and confirms with the code the console shows; returns the token pair. */
async function signInWithCodeFromConsole(): Promise<{ accessToken: { token: string } }> {
  const first = (await (await b2core('/api/v2/signin', TWOFA)).json()) as { '2faDetails': { token: string } };
  const code = page.locator('#outbox .message[data-to="twofa@bar.com"] .code');
  await code.waitFor();
  await page.locator('#outbox .message[data-to="twofa@bar.com"] button.copy').click();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toBe(await code.textContent());
  const confirmed = await b2core('/api/v2/2fa/confirm', { token: first['2faDetails'].token, code: copied });
  expect(confirmed.status).toBe(200);
  return (await confirmed.json()) as { accessToken: { token: string } };
}

it('loads: every panel, the live stream, the fixture accounts, links to the offline references', async () => {
  await openConsole();
  for (const title of ['Accounts', 'Requests', 'Outbox', 'Tokens and sessions', 'Clock', 'Faults', 'Reset']) {
    await page.getByRole('heading', { name: title, exact: true }).waitFor();
  }
  await page.locator('#accounts .account[data-user="twofa@bar.com"]').getByText('2FA by e-mail').waitFor();
  await page.locator('#accounts').getByRole('tab', { name: 'fib' }).click();
  await page.locator('#accounts .account[data-user="dev@wonderland.space"]').getByRole('button', { name: 'Copy fib-sign command of dev@wonderland.space' }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toContain('fib-sign --email dev@wonderland.space');
  expect(await page.locator('#docs a').evaluateAll((links) => links.map((a) => a.getAttribute('href')))).toContain('/__admin/docs/b2core');
  expect(await page.locator('#session option').first().textContent()).toBe('default');
});

it('shows a sign-in live in Requests and its 2FA code in Outbox; the row opens the exchange and copies as curl', async () => {
  await openConsole();
  const res = await b2core('/api/v2/signin', TWOFA);
  expect(res.status).toBe(200);
  const row = page.locator('#requests tbody tr').filter({ hasText: '/api/v2/signin' });
  await row.waitFor();
  expect(await row.locator('.status').textContent()).toBe('200');
  const code = await page.locator('#outbox .message[data-to="twofa@bar.com"] .code').textContent();
  const outbox = (await (await fetch(`${server.url}/__admin/outbox?to=twofa@bar.com`)).json()) as { messages: Array<{ code: string }> };
  expect(code).toBe(outbox.messages[0]!.code);

  // Keyboard: focus the row, Enter opens it.
  await row.focus();
  await page.keyboard.press('Enter');
  const detail = page.locator('#requests .detail');
  await detail.getByText('Request', { exact: true }).waitFor();
  expect(await detail.locator('pre').first().textContent()).toContain('"email": "twofa@bar.com"');
  await detail.getByRole('button', { name: 'Copy request as curl' }).click();
  const curl = await page.evaluate(() => navigator.clipboard.readText());
  expect(curl).toContain(`'${server.url}/b2core/api/v2/signin'`);
  expect(curl).toContain(`--data-raw '${JSON.stringify(TWOFA)}'`);

  // Filters: by status, then by path.
  await b2core('/api/v2/signin', { ...FOO, password: 'wrong' });
  await page.locator('#requests tbody tr.bad').waitFor();
  await page.getByLabel('Filter by status').fill('4xx');
  await page.waitForFunction(() => [...document.querySelectorAll('#requests tbody tr .status')].every((td) => td.textContent?.startsWith('4')));
  expect(await page.locator('#requests tbody tr').count()).toBe(1);
  await page.getByLabel('Filter by status').fill('');
  await page.getByLabel('Filter by path').fill('/nothing');
  await page.waitForFunction(() => document.querySelectorAll('#requests tbody tr').length === 0);
});

it('copies the code, the confirmation makes a token family appear, and advancing the clock expires it', async () => {
  await openConsole();
  await signInWithCodeFromConsole();
  const family = page.locator('#tokens .family[data-api="b2core"]');
  await family.waitFor();
  expect(await family.locator('.meta strong').textContent()).toBe('twofa@bar.com');
  // The access token lives 10 hours, the refresh token 30 days: counting down on the virtual clock.
  expect(await family.locator('.kinds li').filter({ hasText: 'access' }).locator('.left').textContent()).toMatch(/^(9h 59m|10h 00m)$/);

  await page.getByRole('button', { name: '+1 day' }).click();
  await page.waitForFunction(() => !document.querySelector('#tokens .family .kinds')?.textContent?.includes('access'));
  expect(await page.locator('#clock .muted').first().textContent()).toContain('virtual, +1d 0h 00m');
  await page.getByLabel('Duration (ISO 8601)').fill('P30D');
  await page.getByRole('button', { name: 'Advance' }).click();
  await page.locator('#tokens').getByText('No live tokens').waitFor();

  await page.getByRole('button', { name: 'Back to real time' }).click();
  await page.locator('#clock').getByText('real time', { exact: true }).waitFor();
});

it('ends a session with its button: the token gets 401', async () => {
  await openConsole();
  const pair = await signInWithCodeFromConsole();
  const family = page.locator('#tokens .family[data-api="b2core"]');
  await family.getByRole('button', { name: 'End session' }).click();
  await page.locator('#tokens').getByText('No live tokens').waitFor();
  const res = await fetch(`${server.url}/b2core/api/v2/session`, { headers: { authorization: `Bearer ${pair.accessToken.token}` } });
  expect(res.status).toBe(401);
});

it('adds a fault from the form (operation picked from the spec), the next request gets it, and removes one', async () => {
  await openConsole();
  await page.getByLabel('Fault API').selectOption('b2core');
  await page.getByLabel('Fault operation').selectOption('signIn');
  const operations = await page.getByLabel('Fault operation').locator('option').allTextContents();
  expect(operations).toEqual(['any operation', 'signIn', 'confirmTwoFactor', 'refreshToken', 'signOut', 'getSession']);
  await page.getByLabel('Fault status').fill('503');
  await page.getByLabel('Fault times').fill('1');
  await page.getByRole('button', { name: 'Add fault' }).click();
  await page.locator('#faults .fault').getByText('b2core · signIn → 503 · 1 left').waitFor();
  expect((await b2core('/api/v2/signin', FOO)).status).toBe(503);
  expect((await b2core('/api/v2/signin', FOO)).status).toBe(200);
  // Used up: the list follows the stream.
  await page.locator('#faults').getByText('No faults').waitFor();

  await page.getByLabel('Fault status').fill('500');
  await page.getByLabel('Fault times').fill('');
  await page.getByRole('button', { name: 'Add fault' }).click();
  await page.locator('#faults .fault').waitFor();
  await page.locator('#faults .fault button').click();
  await page.locator('#faults').getByText('No faults').waitFor();
  expect((await b2core('/api/v2/signin', FOO)).status).toBe(200);

  // A fault added elsewhere (a test, curl) shows up live.
  await fetch(`${server.url}/__admin/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ api: 'khe', drop: true }) });
  await page.locator('#faults .fault').getByText('khe · any operation → drop').waitFor();
});

it('switches state sessions with the picker: each shows only its own state', async () => {
  await openConsole();
  await b2core('/api/v2/signin', TWOFA, 'other');
  // The picker learns of the new session from the stream.
  await page.locator('#session option[value="other"]').waitFor({ state: 'attached' });
  expect(await page.locator('#outbox .message').count()).toBe(0);
  expect(await page.locator('#requests tbody tr').count()).toBe(0);

  await page.getByLabel('State session').selectOption('other');
  await page.locator('#outbox .message[data-to="twofa@bar.com"]').waitFor();
  await page.locator('#requests tbody tr').filter({ hasText: '/api/v2/signin' }).waitFor();
  // Live in the picked session, and still not in default.
  await b2core('/api/v2/signin', FOO, 'other');
  await page.waitForFunction(() => document.querySelectorAll('#requests tbody tr').length === 2);
  const defaultJournal = (await (await fetch(`${server.url}/__admin/requests`)).json()) as { requests: unknown[] };
  expect(defaultJournal.requests).toEqual([]);
});

it('resets after a confirmation, and not without one', async () => {
  await openConsole();
  await b2core('/api/v2/signin', TWOFA);
  await page.locator('#outbox .message').waitFor();
  page.once('dialog', (dialog) => void dialog.dismiss());
  await page.getByRole('button', { name: 'Reset…' }).click();
  expect(await page.locator('#outbox .message').count()).toBe(1);
  page.once('dialog', (dialog) => {
    expect(dialog.message()).toContain('Reset everything');
    void dialog.accept();
  });
  await page.getByRole('button', { name: 'Reset…' }).click();
  await page.locator('#outbox').getByText('No messages yet').waitFor();
});

it('does not move the panels below while rows stream into Requests', async () => {
  await openConsole();
  const before = await page.locator('#outbox').boundingBox();
  for (let i = 0; i < 30; i++) await b2core('/api/v2/signin', { ...FOO, password: `wrong-${i}` });
  await page.waitForFunction(() => document.querySelectorAll('#requests tbody tr').length >= 30);
  expect(await page.locator('#outbox').boundingBox()).toEqual(before);
});

it('works in a narrow window: nothing wider than the screen', async () => {
  await page.setViewportSize({ width: 380, height: 800 });
  await openConsole();
  await b2core('/api/v2/signin', TWOFA);
  await page.locator('#outbox .code').waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBe(0);
});

describe('with --admin-token', () => {
  let guarded: TestServer;
  beforeAll(async () => {
    guarded = await startTestServer({ adminToken: 'browser-secret' });
  });
  afterAll(() => guarded?.close());

  it('asks for the token once, keeps it for the tab, and the control API refuses calls without it', async () => {
    await page.goto(`${guarded.url}/__admin/ui`);
    const dialog = page.getByRole('dialog', { name: 'Admin token' });
    await dialog.waitFor();
    await page.getByLabel('Token', { exact: true }).fill('wrong');
    await dialog.getByRole('button', { name: 'Use token' }).click();
    await dialog.getByText('The server refused that token.').waitFor();
    await page.getByLabel('Token', { exact: true }).fill('browser-secret');
    await dialog.getByRole('button', { name: 'Use token' }).click();
    await page.locator('#live.up').waitFor();
    await page.locator('#accounts .account[data-user="twofa@bar.com"]').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('authdouble.adminToken'))).toBe('browser-secret');

    // A reload in the same tab does not ask again.
    await page.reload();
    await page.locator('#live.up').waitFor();
    expect(await dialog.isVisible()).toBe(false);

    // Without the token, the same calls are refused.
    const refused = await page.evaluate(async () => (await fetch('/__admin/sessions')).status);
    expect(refused).toBe(401);
  });
});
