#!/usr/bin/env node
/**
 * `npm run bench`: loads authdouble and reference servers with autocannon on 127.0.0.1 and prints
 * req/s, p50, p99 and ratios measured in the same run. Not a test: the machine is shared and noisy,
 * so only ratios within one run mean anything.
 *
 * Environment: BENCH_DURATION (seconds per load, default 10), BENCH_CONNECTIONS (default 50).
 */
const { spawn, spawnSync } = require('node:child_process');
const os = require('node:os');
const { mkdtempSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const autocannon = require('autocannon');

const root = path.resolve(__dirname, '..');
const duration = Number(process.env.BENCH_DURATION ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const FOO = { email: 'foo@bar.com', password: 'Secret123' };

/**
 * BENCH_PIN=1 (with two or more cores and taskset): servers and the signing ceiling run pinned to
 * core 0 and the load generator to core 1. Unpinned is how users run it, and the default.
 */
const pinned = process.env.BENCH_PIN === '1' && os.cpus().length >= 2 && spawnSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' }).status === 0;
const onServerCore = (args) => (pinned ? ['taskset', ['-c', '0', process.execPath, ...args]] : [process.execPath, args]);

/** Fixtures for load: the same users, with the sign-in rate limit out of the way. */
function benchFixtures() {
  const dir = mkdtempSync(path.join(tmpdir(), 'authdouble-bench-'));
  writeFileSync(
    path.join(dir, 'b2core.yaml'),
    [
      'rateLimits:',
      '  signIn: { limit: 1000000000, windowSeconds: 60, lockoutSeconds: 1 }',
      'users:',
      '  - { id: "1", email: foo@bar.com, password: Secret123 }',
      '',
    ].join('\n'),
  );
  return dir;
}

/** Starts a child process that prints "listening on <url>", and resolves with the URL. */
function startChild(args, env = {}) {
  return new Promise((resolve, reject) => {
    const [command, argv] = onServerCore(args);
    const child = spawn(command, argv, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start:\n${out}`)), 15000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], child, stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))) });
      }
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}:\n${out}`)));
  });
}

function load(title, options) {
  return new Promise((resolve, reject) => {
    autocannon({ connections, duration, ...options }, (err, result) => {
      if (err) return reject(err);
      resolve({
        title,
        rps: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        errors: result.errors + result.timeouts + result.non2xx,
      });
    });
  });
}

/** Pairs of sign-in tokens signed per second by scripts/bench/sign-ceiling.js, on the servers' core. */
function signingCeiling(seconds, concurrency) {
  const [command, argv] = onServerCore(['scripts/bench/sign-ceiling.js', String(seconds), String(concurrency)]);
  const result = spawnSync(command, argv, { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`sign-ceiling failed: ${result.stderr}`);
  return Number(result.stdout.trim());
}

async function json(url, init) {
  const res = await fetch(url, init);
  return res.json();
}

function row(cells) {
  return `| ${cells.join(' | ')} |`;
}

async function main() {
  process.stdout.write(
    `authdouble bench: ${duration}s per load, ${connections} connections, node ${process.version}, ` +
      `${pinned ? 'servers pinned to core 0, load generator to core 1' : 'no CPU pinning (taskset or a 2nd core missing)'}\n\n`,
  );
  const ours = await startChild(['dist/cli/main.js', 'serve', '--port', '0', '--log-level', 'silent', '--fixtures', benchFixtures()]);
  const bare = await startChild(['scripts/bench/bare-express.js']);
  const results = [];
  try {
    const base = `${ours.url}/b2core/api/v2`;
    const pair = await json(`${base}/signin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(FOO) });
    const token = pair.accessToken.token;

    results.push(await load('bare Express, fixed JSON', { url: `${bare.url}/api/v2/session` }));
    results.push(
      await load('b2core GET /session (token check + validation)', {
        url: `${base}/session`,
        headers: { authorization: `Bearer ${token}` },
      }),
    );
    results.push(
      await load('b2core POST /signin, no 2FA (2 RS256 JWTs)', {
        url: `${base}/signin`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(FOO),
      }),
    );
  } finally {
    await ours.stop();
    await bare.stop();
  }
  const serialCeiling = signingCeiling(Math.min(duration, 5), 1);
  const ceiling = signingCeiling(Math.min(duration, 5), connections);

  const [bareResult, auth, signin] = results;
  const lines = [
    row(['load', 'req/s', 'p50 ms', 'p99 ms', 'errors']),
    row(['---', '---:', '---:', '---:', '---:']),
    ...results.map((r) => row([r.title, r.rps.toFixed(0), String(r.p50), String(r.p99), String(r.errors)])),
    row(['RS256 signing loop, one pair at a time (sign-in ceiling)', serialCeiling.toFixed(0), '', '', '']),
    row([`RS256 signing, ${connections} pairs in flight (both cores, no HTTP)`, ceiling.toFixed(0), '', '', '']),
  ];
  const ratio = (a, b) => `${((100 * a) / b).toFixed(0)}%`;
  const verdicts = [
    `authenticated request / bare Express: ${ratio(auth.rps, bareResult.rps)} (target >= 80%)`,
    `sign-in / signing loop: ${ratio(signin.rps, serialCeiling)} (target >= 90%)`,
    `sign-in / signing with ${connections} in flight: ${ratio(signin.rps, ceiling)} (for reference: no HTTP, no load generator)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n\n${verdicts.join('\n')}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err.stack ?? err}\n`);
  process.exit(1);
});
