import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser } from 'playwright-core';

/** The browser app of these tests: index.html and flows.js. */
export const APP_DIR = path.join(__dirname, '..', 'app');

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

export interface PageServer {
  /** `http://127.0.0.1:<port>` (or the host and scheme asked for). */
  origin: string;
  close(): Promise<void>;
}

/**
 * A tiny static server for the test app, on `host` and a free port: the "frontend" origin, which
 * is never the mock's.
 */
export async function servePage(options: { host?: string; tls?: { cert: string; key: string } } = {}): Promise<PageServer> {
  const host = options.host ?? '127.0.0.1';
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const name = (req.url ?? '/').split('?')[0] === '/' ? 'index.html' : path.basename((req.url ?? '').split('?')[0] ?? '');
    const type = TYPES[path.extname(name)];
    if (!type) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = readFileSync(path.join(APP_DIR, name));
      res.writeHead(200, { 'content-type': type }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  };
  const server: Server = options.tls ? createHttpsServer(options.tls, handler) : createHttpServer(handler);
  // `localhost` binds 127.0.0.1 here; the browser reaches it by name.
  await new Promise<void>((resolve) => server.listen(0, host === 'localhost' ? '127.0.0.1' : host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `${options.tls ? 'https' : 'http'}://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface PageRun {
  results: Array<{ api: string; step: string; status: number; body: any; source: string | null }>;
  /** Console messages about CORS (what a blocked request logs). */
  corsErrors: string[];
  /** Every console error and page error, for the failure message. */
  errors: string[];
  screenshot(file: string): Promise<void>;
  close(): Promise<void>;
}

/** Opens `url` in a fresh context, waits for the app's results (at most 30 s). */
export async function runPage(browser: Browser, url: string, options: { ignoreHTTPSErrors?: boolean } = {}): Promise<PageRun> {
  const context = await browser.newContext({ ignoreHTTPSErrors: options.ignoreHTTPSErrors ?? false });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  await page.goto(url);
  await page.waitForFunction(() => (globalThis as { authdoubleResults?: unknown }).authdoubleResults !== undefined, undefined, { timeout: 30_000 });
  const results = (await page.evaluate(() => (globalThis as { authdoubleResults?: unknown }).authdoubleResults)) as PageRun['results'];
  return {
    results,
    corsErrors: errors.filter((e) => /CORS|Access-Control/i.test(e)),
    errors,
    screenshot: async (file) => {
      await page.screenshot({ path: file, fullPage: true });
    },
    close: () => context.close(),
  };
}

/** `results` as `{ "<api> <step>": status }`, for one readable assertion. */
export function statuses(results: PageRun['results']): Record<string, number> {
  return Object.fromEntries(results.map((r) => [`${r.api} ${r.step}`, r.status]));
}

/** What the test app's steps answer when everything works: the same through CORS or a dev-server proxy. */
export const EVERY_STEP_ANSWERED: Record<string, number> = {
  'b2core sign in': 200,
  'b2core refresh': 200,
  'b2core sign out': 200,
  'b2core sign out again': 401,
  'b2core injected fault': 429,
  'vault JSON grant': 200,
  'vault form grant': 200,
  'khe sign in': 201,
  'khe PATCH with Basic': 200,
  'fib sign in': 200,
  'sama login': 200,
  'sama login by cookie': 200,
  'sama websocket connect': 101,
  'control journal': 200,
};
