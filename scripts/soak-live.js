#!/usr/bin/env node
/**
 * `npm run soak`. SOAK_MODE=live runs this file's mode; without it, issue 13's abuse soak
 * (scripts/soak-abuse.js) runs.
 *
 * SOAK_MODE=live: the memory that live tokens cost, through the real sign-in behaviours of b2core,
 * vault, sama and khe (fixtures with many users, each signing in once, so that no per-user cap
 * ends a session; the clock does not move, so every token stays live). For each API it prints the
 * heap bytes one live token costs (heap after a full GC, before and after, divided by the tokens
 * issued), then the heap with SOAK_LIVE_TOKENS (default 100,000) live tokens in all, shared evenly by
 * the four APIs, and exits 1 when that heap is over SOAK_LIVE_LIMIT_MB (default 150). The store's
 * bounds (which would evict tokens past 10,000 of a kind) are lifted for the measure. Then it lists
 * two pages of them (GET /__admin/tokens, 1,000 each) over HTTP and prints the time, CPU and the
 * longest event-loop delay of each.
 * Run with `node --expose-gc` (npm run soak does). It takes a minute or two: RS256 signing is slow.
 */
if (process.env.SOAK_MODE !== 'live') {
  require('./soak-abuse.js');
} else {
  main().catch((err) => {
    process.stderr.write(`soak failed: ${err.stack ?? err}\n`);
    process.exit(1);
  });
}

async function main() {
  const { mkdtempSync, writeFileSync } = require('node:fs');
  const os = require('node:os');
  const path = require('node:path');
  const http = require('node:http');
  const { monitorEventLoopDelay, performance } = require('node:perf_hooks');
  const { createApp } = require(path.join(__dirname, '..', 'dist', 'app'));

  const TOKENS = Number(process.env.SOAK_LIVE_TOKENS ?? 100_000);
  const LIMIT_MB = Number(process.env.SOAK_LIVE_LIMIT_MB ?? 150);
  const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);
  if (!globalThis.gc) throw new Error('run with node --expose-gc');
  const heap = () => {
    globalThis.gc();
    globalThis.gc();
    return process.memoryUsage().heapUsed;
  };

  /** Per API: a fixture with `n` users, and the sign-in of user `i` (request and tokens it issues). */
  const APIS = {
    b2core: {
      fixture: (n) =>
        `rateLimits:\n  signIn: { limit: 1000000, windowSeconds: 60, lockoutSeconds: 300 }\nusers:\n` +
        range(n, (i) => `  - { id: "${i}", email: u${i}@soak.test, password: Secret123 }\n`),
      signIn: (i) => ({ path: '/api/v2/signin', type: 'application/json', body: JSON.stringify({ email: `u${i}@soak.test`, password: 'Secret123' }) }),
      tokens: ({ body: b }) => [b.accessToken?.token, b.refreshToken?.token],
    },
    vault: {
      fixture: (n) =>
        `clients:\n  - { id: soak-client, name: Soak }\nusers:\n` +
        range(n, (i) => `  - { id: "usr:${uuid(i)}", username: u${i}@soak.test, password: Secret123 }\n`),
      signIn: (i) => ({
        path: '/reg/auth/token',
        type: 'application/x-www-form-urlencoded',
        body: `grant_type=password&username=u${i}%40soak.test&password=Secret123&client_id=soak-client`,
      }),
      tokens: ({ body: b }) => [b.access_token, b.refresh_token],
    },
    sama: {
      fixture: (n) =>
        'organizations:\n  - { _id: 680a2fae96cc69d78861f101, name: Soak }\nusers:\n' +
        range(
          n,
          (i) =>
            `  - { _id: "${(0x10000000 + i).toString(16).padStart(24, '0')}", organization_id: 680a2fae96cc69d78861f101, login: u${i}, password: Secret123, created_at: "2022-10-13T13:11:04.447Z", updated_at: "2022-10-13T13:11:04.447Z" }\n`,
        ),
      signIn: (i) => ({
        path: '/login',
        type: 'application/json',
        body: JSON.stringify({ organization_id: '680a2fae96cc69d78861f101', login: `u${i}`, password: 'Secret123', device_id: `d${i}` }),
      }),
      // The refresh token comes as the refresh_token cookie.
      tokens: ({ body: b, headers }) => [b.access_token, /^refresh_token=([^;]+)/.exec(String(headers?.['set-cookie'] ?? ''))?.[1]],
    },
    khe: {
      fixture: (n) =>
        `clients:\n  - khe-web\nusers:\n` +
        range(n, (i) => `  - { key: "${(0x10000000 + i).toString(16).padStart(24, "0")}", email: u${i}@soak.test, password: Secret123, role: attendee }\n`),
      signIn: (i) => ({ path: '/v1.0/users/token', type: 'application/json', body: JSON.stringify({ client: 'khe-web', email: `u${i}@soak.test`, password: 'Secret123' }) }),
      tokens: ({ body: b }) => [b.token, b.refresh],
    },
  };

  const ids = Object.keys(APIS);
  const perApi = Math.ceil(TOKENS / ids.length);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'authdouble-soak-live-'));
  // Users enough for the tokens: one sign-in each, and each sign-in issues two tokens.
  const users = { b2core: Math.ceil(perApi / 2), vault: Math.ceil(perApi / 2), sama: Math.ceil(perApi / 2), khe: Math.ceil(perApi / 2) };
  for (const id of ids) writeFileSync(path.join(dir, `${id}.yaml`), APIS[id].fixture(users[id]));
  // The store's bounds (docs/hardening.md) would evict tokens long before 100k: lift them, to
  // measure what live tokens cost.
  const bounds = { perKind: 10_000_000, perSession: 10_000_000, overall: 10_000_000 };
  const mock = await createApp({ apis: ids, fixturesDir: dir, logLevel: 'silent', keysFile: path.join(dir, 'keys.json') }, { bounds });

  /** Signs users [from, to) of `id` in, 64 at a time; returns the tokens issued. */
  async function signIns(id, from, to) {
    const api = APIS[id];
    const engine = mock.engines.get(id);
    let issued = 0;
    let next = from;
    const worker = async () => {
      while (next < to) {
        const { path: p, type, body } = api.signIn(next++);
        const req = { method: 'POST', path: p, query: {}, headers: { 'content-type': type }, body: Buffer.from(body), ip: '127.0.0.1' };
        const res = await engine.handle(req);
        const tokens = api.tokens({ body: res.body ?? {}, headers: res.headers }).filter((t) => typeof t === 'string');
        if (res.status >= 300 || tokens.length === 0) throw new Error(`${id} sign-in answered ${res.status}: ${JSON.stringify(res.body)}`);
        issued += tokens.length;
      }
    };
    await Promise.all(Array.from({ length: 64 }, worker));
    return issued;
  }

  // Warm each API up (keys, validators, code) so that the figures are the tokens' alone.
  for (const id of ids) await signIns(id, 0, 16);
  const start = heap();
  process.stdout.write(`soak (live): heap after set-up ${mb(start)} MB; ${TOKENS} live tokens in all, ${perApi} per API\n`);
  const rows = [];
  let total = 0;
  for (const id of ids) {
    const before = heap();
    const t = Date.now();
    const tokens = await signIns(id, 16, users[id]);
    const after = heap();
    total += tokens;
    rows.push({ id, tokens, bytes: (after - before) / tokens });
    process.stdout.write(
      `  ${id.padEnd(7)} ${String(tokens).padStart(7)} tokens in ${((Date.now() - t) / 1000).toFixed(1)} s: ${Math.round((after - before) / tokens)} bytes of heap per live token\n`,
    );
  }
  const end = heap();
  const { rss } = process.memoryUsage();
  process.stdout.write(
    `soak (live): heap ${mb(end)} MB with ${total} live tokens (RSS ${mb(rss)} MB); bound ${LIMIT_MB} MB: ${end / 1024 / 1024 <= LIMIT_MB ? 'ok' : 'OVER'}\n`,
  );
  process.stdout.write(`${JSON.stringify({ heapMb: end / 1024 / 1024, tokens: total, bytesPerToken: Object.fromEntries(rows.map((r) => [r.id, Math.round(r.bytes)])) })}\n`);
  process.exitCode = end / 1024 / 1024 <= LIMIT_MB ? 0 : 1;

  // Listing them: GET /__admin/tokens (pages of 1,000) over HTTP, with how long the event loop
  // was held meanwhile.
  const server = http.createServer(mock.handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}/__admin/tokens`;
  const delay = monitorEventLoopDelay({ resolution: 5 });
  let cursor;
  delay.enable();
  for (const page of [1, 2]) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    delay.reset();
    const t = performance.now();
    const cpu = process.cpuUsage();
    const res = await fetch(`${base}?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
    const body = await res.json();
    const ms = performance.now() - t;
    const used = process.cpuUsage(cpu);
    // The delay is recorded when the monitor's timer fires, after the step that held the loop.
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (res.status !== 200 || body.tokens.length !== 1000) throw new Error(`listing answered ${res.status} with ${body.tokens?.length} tokens`);
    process.stdout.write(`soak (live): GET /__admin/tokens page ${page} (1,000 of ${total}): ${ms.toFixed(0)} ms (CPU ${((used.user + used.system) / 1000).toFixed(0)} ms), longest event-loop delay ${(delay.max / 1e6).toFixed(0)} ms\n`);
    cursor = body.next;
  }
  delay.disable();
  server.close();
}

/** A UUID-shaped id made from `i`. */
function uuid(i) {
  return `${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
}

function range(n, line) {
  let out = '';
  for (let i = 0; i < n; i++) out += line(i);
  return out;
}
