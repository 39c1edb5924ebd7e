import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { startMock, type StartedMock } from '../../src/index';
import { launchChromium } from '../helpers/chromium';
import { EVERY_STEP_ANSWERED, runPage, servePage, statuses, type PageServer } from './support/page-server';

const REPORTS = path.join(__dirname, '..', '..', 'reports');

// A page on another origin (127.0.0.1, another port) signs in to each of the five APIs with fetch,
// as a frontend would, and reads the control API. CORS is what lets it read any of the answers.
let browser: Browser;
let mock: StartedMock;
let page: PageServer;
beforeAll(async () => {
  [browser, mock, page] = await Promise.all([launchChromium(), startMock(), servePage()]);
});
afterAll(async () => {
  await Promise.all([browser?.close(), mock?.close(), page?.close()]);
});

it('signs in to every API from another origin with no CORS error, and reads the control API', async () => {
  const run = await runPage(browser, `${page.origin}/?mock=${encodeURIComponent(mock.url)}&session=browser-five`);
  try {
    mkdirSync(REPORTS, { recursive: true });
    await run.screenshot(path.join(REPORTS, 'browser-five-apis.png'));
    expect(run.corsErrors).toEqual([]);
    expect(statuses(run.results)).toEqual(EVERY_STEP_ANSWERED);
    const by = (key: string) => run.results.find((r) => `${r.api} ${r.step}` === key)!;
    // Bodies and exposed headers are readable: the error code, tokens, the fault's source.
    expect(by('b2core sign out again').body).toEqual({ code: 'invalid_token', message: expect.any(String) });
    expect(by('b2core injected fault').source).toBe('fault');
    expect(by('vault form grant').body).toEqual(expect.objectContaining({ token_type: 'Bearer', access_token: expect.any(String) }));
    expect(by('khe PATCH with Basic').body).toEqual(expect.objectContaining({ email: 'hacker2@khe.io' }));
    expect(by('fib sign in').body.data.accessToken).toEqual(expect.any(String));
    expect(by('sama login by cookie').body.access_token).toEqual(expect.any(String));
    expect(by('sama websocket connect').body).toEqual({ response: { id: '1', success: true } });
    // X-Authdouble-Session went with every b2core call: the page's session journal has them all.
    const journal = by('control journal').body.requests as Array<{ session: string; path: string }>;
    expect(journal.map((e) => e.path).sort()).toEqual(
      ['/api/v2/refresh', '/api/v2/signin', '/api/v2/signin', '/api/v2/signout', '/api/v2/signout'].sort(),
    );
    expect(new Set(journal.map((e) => e.session))).toEqual(new Set(['browser-five']));
    // ...and the default session saw none of them.
    expect(await mock.control.requests({ api: 'b2core' })).toEqual([]);
  } finally {
    await run.close();
  }
});
