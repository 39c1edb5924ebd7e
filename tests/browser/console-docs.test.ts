import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/chromium';
import { startTestServer, type TestServer } from '../helpers/server';

// /__admin/docs/<api>: the API reference renders in Chromium from this server alone, with no network.

jest.setTimeout(60_000);

let server: TestServer;
let browser: Browser;
beforeAll(async () => {
  server = await startTestServer();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

it.each([
  ['b2core', '/api/v2/signin'],
  ['fib', '/auth/api/v1/authentication-management/session'],
  ['admin', '/events'],
])('renders the %s reference offline, with its operations and this server in the servers list', async (api, path) => {
  const context = await browser.newContext();
  const outside: string[] = [];
  await context.route('**/*', (route) => {
    if (route.request().url().startsWith(server.url)) return route.continue();
    outside.push(route.request().url());
    return route.abort();
  });
  try {
    const page = await context.newPage();
    await page.goto(`${server.url}/__admin/docs/${api}`);
    await page.locator('.swagger-ui .opblock-summary-path', { hasText: path }).first().waitFor();
    const servers = await page.locator('.swagger-ui .servers select option').allTextContents();
    expect(servers.join(' ')).toContain(`${server.url}${api === 'admin' ? '/__admin' : `/${api}`}`);
    expect(outside).toEqual([]);
  } finally {
    await context.close();
  }
});
