#!/usr/bin/env node
/**
 * `npm run bench`: loads authdouble and its references (bare node:http, bare Express, Prism's static
 * mock of the same spec, and WireMock when asked) with autocannon on 127.0.0.1, one after another in
 * one run, and prints req/s, p50, p99, errors, the ratios the goals are about, the server's RSS after
 * the loads, and start-up times: the CLI to a 200 from all five APIs against a bare Express app that
 * listens (alternating runs, medians), and startMock() of one API in-process.
 * Not a test: the machine is shared and noisy, so only ratios within one run mean anything.
 *
 * Environment: BENCH_DURATION (seconds per load, default 10), BENCH_CONNECTIONS (default 50),
 * BENCH_OUT (write the markdown report there too, e.g. docs/benchmarks.md), BENCH_PIN=1 (pin the
 * servers to core 0 and the load generator to core 1 with taskset), BENCH_WIREMOCK=<folder> (a
 * folder where `npm install wiremock@3.13.2` was run: adds WireMock's row, after a 60 s warm-up),
 * BENCH_SOAK_MB (the heap at 100k live tokens from `npm run soak`, to put in the report),
 * BENCH_ONLY=instances (only the "many instances" loads: b2core's sign-in and authenticated request
 * with the memory store, with Redis and one process, and with Redis and --workers 2; they start a
 * redis-server of their own, /usr/bin/redis-server or REDIS_SERVER, and are never pinned).
 */
const { spawn, spawnSync } = require('node:child_process');
const { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const autocannon = require('autocannon');
const { startRedis } = require('./bench/redis');

const root = path.resolve(__dirname, '..');
const duration = Number(process.env.BENCH_DURATION ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);

const pinned =
  process.env.BENCH_PIN === '1' &&
  os.cpus().length >= 2 &&
  spawnSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' }).status === 0;
const onServerCore = (command, args) => (pinned ? ['taskset', ['-c', '0', command, ...args]] : [command, args]);

const JSON_HEADERS = { 'content-type': 'application/json' };
const SIGNINS = {
  b2core: { path: '/b2core/api/v2/signin', body: { email: 'foo@bar.com', password: 'Secret123' } },
  vault: {
    path: '/vault/reg/auth/token',
    body: { grant_type: 'password', username: 'user@example.com', password: 'A9#bL8@z', client_id: 'haequi3Aah8lie2r' },
  },
  fib: {
    path: '/fib/auth/api/v1/authentication-management/session',
    body: {
      email: 'alice@wonderland.space',
      signature:
        '57e7115dfb9faa9add2d2ceb321c20db8c1e7f468d2ffc122793fa61e8ed61581580faaeae83a07fe857894bb33defd61c4ba099b981020146fe8d2be00e630a',
      authPublicKeyHex: '7fbedb314a9b0c00caef967ac5cabb982ec45da828a0c58a9aafc854f32422ac',
    },
  },
  sama: { path: '/sama/login', body: { organization_id: '680a2fae96cc69d78861f101', login: 'login_u1', password: 'u1_password', device_id: 'bench' } },
  khe: { path: '/khe/v1.0/users/token', body: { client: 'khe-web', email: 'hacker@khe.io', password: 'hackathon' } },
};

/** Users `load0@bar.com` ... of the many-users sign-in load (password Secret123). */
const LOAD_USERS = 1000;

/**
 * Fixtures for load: the default users, with b2core's sign-in rate limit out of the way; with
 * `loadUsers`, LOAD_USERS more b2core users.
 */
function benchFixtures({ loadUsers = false } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'authdouble-bench-fixtures-'));
  const extra = loadUsers
    ? Array.from({ length: LOAD_USERS }, (_, i) => `  - { id: "load${i}", email: load${i}@bar.com, password: Secret123 }\n`).join('')
    : '';
  const b2core = readFileSync(path.join(root, 'fixtures/b2core.yaml'), 'utf8')
    .replace(/signIn: +\{ limit: 5,/, 'signIn:  { limit: 1000000000,')
    .replace(/\nusers:\n/, `\nusers:\n${extra}`);
  if (!b2core.includes('1000000000')) throw new Error('could not lift the b2core sign-in limit in the bench fixtures');
  writeFileSync(path.join(dir, 'b2core.yaml'), b2core);
  return dir;
}

/**
 * The specs with one operation added to b2core that has no behaviour, only an example: authdouble
 * serves it the way Prism serves everything, which makes the two comparable.
 */
function benchSpecs() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'authdouble-bench-specs-'));
  for (const file of readdirSync(path.join(root, 'openapi'))) copyFileSync(path.join(root, 'openapi', file), path.join(dir, file));
  const file = path.join(dir, 'b2core.yaml');
  const spec = readFileSync(file, 'utf8').replace(
    '\ncomponents:\n',
    `
  /api/v2/static-example:
    get:
      operationId: benchStaticExample
      summary: Served from its example (bench only)
      responses:
        '200':
          description: A fixed body.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Session'
              example:
                userId: '1'
                email: foo@bar.com
                expiresAt: '2022-01-01T10:00:00+00:00'
components:
`,
  );
  writeFileSync(file, spec);
  return dir;
}

/** Starts a child process that prints a URL once it listens; resolves with it. */
function startChild(command, args, pattern, timeoutMs = 30000, pin = true) {
  return new Promise((resolve, reject) => {
    const [cmd, argv] = pin ? onServerCore(command, args) : [command, args];
    const child = spawn(cmd, argv, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} did not start:\n${out}`));
    }, timeoutMs);
    const onData = (d) => {
      out += d;
      // eslint-disable-next-line no-control-regex -- strip Prism's colours
      const m = pattern.exec(out.replace(/\u001b\[[0-9;]*m/g, ''));
      if (m) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.stderr.off('data', onData);
        child.stdout.resume();
        child.stderr.resume();
        resolve({
          url: m[1],
          child,
          rssMb: () => rssMb(child.pid),
          cpuMs: () => cpuMs(child.pid),
          stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}:\n${out}`)));
  });
}

/** `read(pid)` summed over a process and its children (under taskset, the server is a child). */
function overTree(pid, read) {
  let total = read(pid);
  try {
    for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) total += read(child);
  } catch {
    // no children file: fine
  }
  return total;
}

/** Resident memory of a process (and, under taskset, of its child), in MB, from /proc. */
function rssMb(pid) {
  return overTree(pid, (p) => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : 0;
    } catch {
      return 0;
    }
  });
}

/**
 * CPU time (user + system) a process (and, under taskset, its child) has used, in ms, from /proc.
 * Unlike req/s, CPU per request hardly depends on what else the shared machine runs.
 */
function cpuMs(pid) {
  return overTree(pid, (p) => {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, at 100 ticks/s
    } catch {
      return 0;
    }
  });
}

function load(title, options) {
  return new Promise((resolve, reject) => {
    autocannon({ connections, duration, ...options }, (err, result) => {
      if (err) return reject(err);
      resolve({
        title,
        requests: result.requests.total,
        rps: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        errors: result.errors + result.timeouts + result.non2xx,
      });
    });
  });
}

/** Pairs of tokens the API's own signer makes per second with nothing else to do. */
function signingCeiling(api, seconds, concurrency, mode = '') {
  const [command, argv] = onServerCore(process.execPath, ['scripts/bench/sign-ceiling.js', api, String(seconds), String(concurrency), mode]);
  const result = spawnSync(command, argv, { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`sign-ceiling ${api} failed: ${result.stderr}`);
  return Number(result.stdout.trim());
}

/** Probes of the start-up of authdouble: a successful sign-in on every API (200; 201 for khe). */
const OUR_PROBES = Object.fromEntries(
  Object.entries(SIGNINS).map(([api, { path: p, body }]) => [api, { path: p, method: 'POST', body: JSON.stringify(body) }]),
);

/**
 * Milliseconds from spawning `args` (with PORT set) to a 200 (201 for khe) from every probe.
 * Defaults: the CLI serving all five APIs, probed with a sign-in on each.
 */
async function startupTime(args = null, probes = OUR_PROBES) {
  const started = process.hrtime.bigint();
  const port = 20000 + Math.floor(Math.random() * 20000);
  const argv = args ?? ['dist/cli/main.js', 'serve', '--port', String(port), '--log-level', 'silent', '--keys-file', keysFile];
  const child = spawn(process.execPath, argv, { cwd: root, stdio: 'ignore', env: { ...process.env, PORT: String(port) } });
  const pending = new Set(Object.keys(probes));
  const deadline = Date.now() + 20000;
  try {
    while (pending.size > 0 && Date.now() < deadline) {
      await Promise.all(
        [...pending].map(async (api) => {
          try {
            const probe = probes[api];
            const res = await fetch(`http://127.0.0.1:${port}${probe.path}`, {
              method: probe.method,
              headers: probe.body ? JSON_HEADERS : {},
              body: probe.body,
            });
            await res.arrayBuffer();
            if (res.status === 200 || res.status === 201) pending.delete(api); // khe signs in with 201
          } catch {
            // not listening yet
          }
        }),
      );
      if (pending.size > 0) await new Promise((r) => setTimeout(r, 5));
    }
    if (pending.size > 0) throw new Error(`no 200 from ${[...pending].join(', ')} within 20 s`);
    const cpu = cpuMs(child.pid);
    startupCpu.push({ args: argv[0], cpu });
    return Number(process.hrtime.bigint() - started) / 1e6;
  } finally {
    child.kill('SIGTERM');
  }
}

/** CPU ms each start-up used until its probes succeeded, in order. */
const startupCpu = [];

/** The signing keys of every server this bench starts (made by the first, kept for the others). */
const keysFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'authdouble-bench-keys-')), 'keys.json');

/**
 * WireMock 3.13 (the standalone jar of the `wiremock` npm package installed in `folder`) serving the
 * same fixed body as a stub, without its request journal (as WireMock advises under load), measured
 * after a 60 s warm-up load for its JIT.
 */
async function wiremockLoad(folder) {
  const jarDir = path.join(folder, 'node_modules', 'wiremock', 'build');
  const jar = readdirSync(jarDir).find((f) => f.endsWith('.jar'));
  if (!jar) throw new Error(`no WireMock jar in ${jarDir}`);
  const port = 30000 + Math.floor(Math.random() * 20000);
  const wm = await startChild(
    'java',
    ['-jar', path.join(jarDir, jar), '--port', String(port), '--bind-address', '127.0.0.1', '--no-request-journal', '--disable-banner'],
    /port:\s+(\d+)/,
    60000,
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    const stub = {
      request: { method: 'GET', url: '/api/v2/static-example' },
      response: { status: 200, headers: { 'Content-Type': 'application/json' }, jsonBody: { userId: '1', email: 'foo@bar.com', expiresAt: '2022-01-01T10:00:00+00:00' } },
    };
    const res = await fetch(`${url}/__admin/mappings`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(stub) });
    if (res.status !== 201) throw new Error(`WireMock refused the stub: ${res.status}`);
    process.stdout.write('  WireMock: 60 s warm-up...\n');
    await new Promise((resolve, reject) =>
      autocannon({ connections, duration: 60, url: `${url}/api/v2/static-example` }, (err) => (err ? reject(err) : resolve())),
    );
    const cpuBefore = wm.cpuMs();
    const result = await load('WireMock 3.13 stub, after a 60 s warm-up', { url: `${url}/api/v2/static-example` });
    result.cpuUs = ((wm.cpuMs() - cpuBefore) * 1000) / Math.max(1, result.requests);
    process.stdout.write(`  ${result.title}: ${result.rps.toFixed(0)} req/s\n`);
    return result;
  } finally {
    await wm.stop();
  }
}

/**
 * b2core's sign-in and its authenticated request (GET /session with a bearer token) served three ways:
 * the memory store in one process, Redis with one process, Redis with `--workers 2`. One Redis of the
 * bench's own (no persistence), emptied before each. Not pinned: --workers 2 needs both cores.
 */
async function manyInstances() {
  const redis = await startRedis();
  const fixtures = benchFixtures({ loadUsers: true });
  const setups = [
    ['memory', 'memory store, 1 process', ['--keys-file', keysFile]],
    ['redis1', 'Redis store, 1 process', ['--store', redis.url]],
    ['redis2', 'Redis store, --workers 2', ['--store', redis.url, '--workers', '2']],
  ];
  const results = {};
  try {
    for (const [key, label, args] of setups) {
      await redis.flush();
      const server = await startChild(
        process.execPath,
        ['dist/cli/main.js', 'serve', '--port', '0', '--log-level', 'silent', '--fixtures', fixtures, ...args],
        /listening on (http:\/\/\S+)/,
        30000,
        false,
      );
      try {
        const signin = { url: `${server.url}${SIGNINS.b2core.path}`, method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(SIGNINS.b2core.body) };
        const pair = await (await fetch(signin.url, signin)).json();
        let next = 0;
        const manyUsers = {
          ...signin,
          // Each request signs in the next of LOAD_USERS users: no two concurrent sign-ins share a user.
          requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify({ email: `load${next++ % LOAD_USERS}@bar.com`, password: 'Secret123' }) }) }],
        };
        const loads = [
          ['auth', 'authenticated request (GET /session)', { url: `${server.url}/b2core/api/v2/session`, headers: { authorization: `Bearer ${pair.accessToken.token}` } }],
          ['signin', 'sign-in of one user (2 RS256 JWTs)', signin],
          ['signins', `sign-in of ${LOAD_USERS} users in turn`, manyUsers],
        ];
        for (const [what, title, options] of loads) {
          // Server CPU: the process and its children (the workers); Redis's apart.
          const cpuBefore = server.cpuMs();
          const redisBefore = redis.cpuMs();
          const result = await load(`${label}: ${title}`, options);
          result.cpuUs = ((server.cpuMs() - cpuBefore) * 1000) / Math.max(1, result.requests);
          result.redisUs = ((redis.cpuMs() - redisBefore) * 1000) / Math.max(1, result.requests);
          results[`${key}.${what}`] = result;
          process.stdout.write(`  ${result.title}: ${result.rps.toFixed(0)} req/s, ${result.errors} errors\n`);
        }
      } finally {
        await server.stop();
      }
    }
  } finally {
    await redis.stop();
  }
  return results;
}

/** The many-instances table: one row per load and setup, then the ratios. */
function instancesReport(r) {
  const x = (a, b) => `${(a / b).toFixed(2)}x`;
  const loads = [
    ['signin', 'b2core sign-in, one user (2 RS256 JWTs)'],
    ['signins', `b2core sign-in, ${LOAD_USERS} users in turn`],
    ['auth', 'b2core GET /session (authenticated)'],
  ];
  const setups = [
    ['memory', 'memory store, 1 process'],
    ['redis1', 'Redis, 1 process'],
    ['redis2', 'Redis, --workers 2'],
  ];
  return [
    row(['load', 'store and processes', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'authdouble CPU µs per request', 'Redis CPU µs per request']),
    row(['---', '---', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...loads.flatMap(([what, title]) =>
      setups.map(([key, label]) => {
        const m = r[`${key}.${what}`];
        return row([title, label, m.rps.toFixed(0), String(m.p50), String(m.p99), String(m.errors), m.cpuUs.toFixed(0), key === 'memory' ? '' : m.redisUs.toFixed(0)]);
      }),
    ),
    '',
    row(['ratio (req/s)', 'sign-in, one user', `sign-in, ${LOAD_USERS} users`, 'authenticated request']),
    row(['---', '---:', '---:', '---:']),
    ...[
      ['Redis, 1 process / memory store', 'redis1', 'memory'],
      ['Redis, --workers 2 / Redis, 1 process', 'redis2', 'redis1'],
      ['Redis, --workers 2 / memory store', 'redis2', 'memory'],
    ].map(([name, a, b]) => row([name, ...['signin', 'signins', 'auth'].map((w) => x(r[`${a}.${w}`].rps, r[`${b}.${w}`].rps))])),
  ];
}

const INSTANCES_NOTE =
  `On this machine (${os.cpus().length} cores) the load generator (autocannon, in the bench's own process) and Redis share the ` +
  'cores with the servers, so a second worker competes with them for the same two cores: these figures ' +
  'show the cost of the shared store and how much a second process gains here, not what --workers 2 ' +
  'gives on a machine with cores to spare.';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (a, b) => `${((100 * a) / b).toFixed(0)}%`;
const row = (cells) => `| ${cells.join(' | ')} |`;

async function main() {
  const startedAt = new Date().toISOString();
  const header =
    `${duration} s per load, ${connections} connections, node ${process.version}, ${os.cpus().length} cores, ` +
    `${pinned ? 'servers pinned to core 0 and the load generator to core 1' : 'no CPU pinning'}`;
  process.stdout.write(`authdouble bench: ${header}\n`);
  if (process.env.BENCH_ONLY === 'instances') {
    const table = instancesReport(await manyInstances());
    process.stdout.write(`\n## Many instances\n\nMeasured ${startedAt} (${header}).\n${INSTANCES_NOTE}\n\n${table.join('\n')}\n`);
    return;
  }
  if (process.env.BENCH_ONLY !== undefined) throw new Error(`BENCH_ONLY=${process.env.BENCH_ONLY}: the only choice is instances`);

  // The signing keys are made once, by a first start that is not counted (as on a developer's
  // machine, where the keys file exists from the first run on).
  await startupTime();
  startupCpu.length = 0;
  const startups = [];
  const bareStartups = [];
  const bareProbe = { bare: { path: '/', method: 'GET' } };
  for (let i = 0; i < 5; i++) {
    bareStartups.push(await startupTime(['scripts/bench/bare-express.js'], bareProbe));
    startups.push(await startupTime());
  }
  process.stdout.write(`start-up to a 200 from all five APIs: ${startups.map((s) => s.toFixed(0)).join(', ')} ms\n`);
  process.stdout.write(`start-up of a bare Express app to a 200: ${bareStartups.map((s) => s.toFixed(0)).join(', ')} ms\n`);
  const cpuOf = (bare) => median(startupCpu.filter((c) => c.args.includes('bare-express') === bare).map((c) => c.cpu));
  const startupCpuOurs = cpuOf(false);
  const startupCpuBare = cpuOf(true);
  process.stdout.write(`CPU to ready: ours ${startupCpuOurs} ms, bare Express ${startupCpuBare} ms (medians)\n`);
  const startMock = JSON.parse(
    spawnSync(process.execPath, ['scripts/bench/start-mock.js', '5'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, AUTHDOUBLE_KEYS_FILE: keysFile },
    }).stdout,
  );
  process.stdout.write(`startMock({ apis: ['b2core'] }): first ${startMock.firstMs.toFixed(0)} ms, then ${startMock.nextMs.toFixed(0)} ms\n`);

  const specs = benchSpecs();
  const ours = await startChild(
    process.execPath,
    ['dist/cli/main.js', 'serve', '--port', '0', '--log-level', 'silent', '--fixtures', benchFixtures(), '--keys-file', keysFile],
    /listening on (http:\/\/\S+)/,
  );
  // The bench's extra operation is in the bench specs; a second server serves them (b2core only).
  const oursStatic = await startChild(
    process.execPath,
    ['dist/cli/main.js', 'serve', '--port', '0', '--log-level', 'silent', '--api', 'b2core', '--specs', specs, '--keys-file', keysFile],
    /listening on (http:\/\/\S+)/,
  );
  const bare = await startChild(process.execPath, ['scripts/bench/bare-express.js'], /listening on (http:\/\/\S+)/);
  const bareNode = await startChild(process.execPath, ['scripts/bench/bare-node.js'], /listening on (http:\/\/\S+)/);
  const prism = await startChild(
    path.join(root, 'node_modules/.bin/prism'),
    ['mock', '-h', '127.0.0.1', '-p', String(30000 + Math.floor(Math.random() * 20000)), path.join(specs, 'b2core.yaml')],
    /Prism is listening on (http:\/\/\S+)/,
  );

  const results = {};
  let oursRss = 0;
  try {
    const pair = await (await fetch(`${ours.url}${SIGNINS.b2core.path}`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(SIGNINS.b2core.body) })).json();
    const post = (api) => ({ url: `${ours.url}${SIGNINS[api].path}`, method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(SIGNINS[api].body) });
    const servers = { node: bareNode, bare, prism, static: oursStatic };
    const all = { ours, ...servers };
    const step = async (key, title, options) => {
      const loaded = key in servers ? key : 'ours';
      const before = Object.fromEntries(Object.entries(all).map(([name, s]) => [name, s.cpuMs()]));
      results[key] = await load(title, options);
      // Server CPU per request: a check on req/s that the other processes on the machine hardly move.
      results[key].cpuUs = ((all[loaded].cpuMs() - before[loaded]) * 1000) / Math.max(1, results[key].requests);
      // What the servers not under load used meanwhile (they should be idle).
      const others = Object.entries(all).filter(([name]) => name !== loaded).map(([name, s]) => `${name} ${s.cpuMs() - before[name]} ms`);
      process.stdout.write(`  ${title}: ${results[key].rps.toFixed(0)} req/s (CPU of the idle servers meanwhile: ${others.join(', ')})\n`);
    };
    await step('node', 'bare node:http, fixed JSON', { url: `${bareNode.url}/api/v2/session` });
    await step('bare', 'bare Express, fixed JSON', { url: `${bare.url}/api/v2/session` });
    await step('prism', 'Prism 5.14 static mock, b2core example operation', { url: `${prism.url}/api/v2/static-example` });
    await step('static', 'authdouble, b2core example operation (no behaviour)', { url: `${oursStatic.url}/api/v2/static-example` });
    await step('auth', 'authdouble, b2core GET /session (token check + validation)', {
      url: `${ours.url}/b2core/api/v2/session`,
      headers: { authorization: `Bearer ${pair.accessToken.token}` },
    });
    await step('b2core', 'authdouble, b2core sign-in, no 2FA (2 RS256 JWTs)', post('b2core'));
    await step('vault', 'authdouble, vault password grant (2 RS256 JWTs)', post('vault'));
    await step('fib', 'authdouble, fib sign-in (Ed25519 verify + 2 EdDSA JWTs)', post('fib'));
    oursRss = ours.rssMb();
  } finally {
    await Promise.all([ours.stop(), oursStatic.stop(), bare.stop(), bareNode.stop(), prism.stop()]);
  }
  if (process.env.BENCH_WIREMOCK) results.wiremock = await wiremockLoad(process.env.BENCH_WIREMOCK);
  const instances = await manyInstances();

  const ceilingSeconds = Math.min(duration, 5);
  const ceilings = {};
  for (const api of ['b2core', 'vault', 'fib']) {
    ceilings[api] = { serial: signingCeiling(api, ceilingSeconds, 1), parallel: signingCeiling(api, ceilingSeconds, connections) };
  }
  // fib's crypto is cheap next to HTTP itself, so also model its best case: bare node:http's cost per
  // request plus the verify and the two signatures, one after the other on one core.
  const fibCrypto = signingCeiling('fib', ceilingSeconds, 1, 'verify');
  const fibModel = 1 / (1 / results.node.rps + 1 / fibCrypto);

  const r = results;
  const table = [
    row(['load', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'server CPU µs per request']),
    row(['---', '---:', '---:', '---:', '---:', '---:']),
    ...Object.values(r).map((x) =>
      row([x.title, x.rps.toFixed(0), String(x.p50), String(x.p99), String(x.errors), x.cpuUs === undefined ? '' : x.cpuUs.toFixed(0)]),
    ),
  ];
  const ceilingTable = [
    row(['signing alone (pairs of tokens per second)', 'one pair at a time', `${connections} pairs in flight`]),
    row(['---', '---:', '---:']),
    ...Object.entries(ceilings).map(([api, c]) => row([api, c.serial.toFixed(0), c.parallel.toFixed(0)])),
    row(['fib, with the Ed25519 verify of the sign-in', fibCrypto.toFixed(0), '']),
  ];
  const soakMb = process.env.BENCH_SOAK_MB ? Number(process.env.BENCH_SOAK_MB) : undefined;
  const x = (a, b) => `${(a / b).toFixed(1)}x`;
  const targets = [
    ['authenticated request vs bare Express', x(r.auth.rps, r.bare.rps), '>= 3x', r.auth.rps >= 3 * r.bare.rps],
    ['authenticated request vs bare node:http', pct(r.auth.rps, r.node.rps), '>= 40%', r.auth.rps >= 0.4 * r.node.rps],
    [
      'the same two by server CPU per request (bare Express / ours, bare node:http / ours)',
      `${x(r.bare.cpuUs, r.auth.cpuUs)}, ${pct(r.node.cpuUs, r.auth.cpuUs)}`,
      '(check)',
      null,
    ],
    ['static example vs Prism', x(r.static.rps, r.prism.rps), '>= 10x', r.static.rps >= 10 * r.prism.rps],
    ...(r.wiremock ? [['static example vs WireMock (after its warm-up)', x(r.static.rps, r.wiremock.rps), '(context)', null]] : []),
    ...['b2core', 'vault'].map((api) => [
      `${api} sign-in vs its signing loop (one pair at a time)`,
      pct(r[api].rps, ceilings[api].serial),
      '>= 90%',
      r[api].rps >= 0.9 * ceilings[api].serial,
    ]),
    ['fib sign-in vs bare node:http + its crypto (verify + 2 signs) on one core', pct(r.fib.rps, fibModel), '>= 90%', r.fib.rps >= 0.9 * fibModel],
    ['p99 of the authenticated request vs bare Express', `${r.auth.p99} vs ${r.bare.p99} ms`, '<=', r.auth.p99 <= r.bare.p99],
    [
      'start-up to a 200 from all five APIs vs a bare Express app that listens (medians of 5, alternating)',
      `${median(startups).toFixed(0)} vs ${median(bareStartups).toFixed(0)} ms (${x(median(startups), median(bareStartups))})`,
      '<= 1.5x',
      median(startups) <= 1.5 * median(bareStartups),
    ],
    [
      'the same start-ups by CPU used until ready (medians)',
      `${startupCpuOurs.toFixed(0)} vs ${startupCpuBare.toFixed(0)} ms (${x(startupCpuOurs, startupCpuBare)})`,
      '(check)',
      null,
    ],
    ["startMock({ apis: ['b2core'] }) in-process, each after the first", `${startMock.nextMs.toFixed(0)} ms`, '<= 150 ms', startMock.nextMs <= 150],
    [
      "startMock({ apis: ['b2core'] }) in-process, the first (loading the module included)",
      `${startMock.firstMs.toFixed(0)} ms`,
      '<= 150 ms',
      startMock.firstMs <= 150,
    ],
    ['RSS of the server after the loads', `${oursRss.toFixed(0)} MB`, '<= 120 MB', oursRss <= 120],
    ...(soakMb !== undefined ? [['heap with 100k live tokens (`npm run soak`, SOAK_MODE=live)', `${soakMb.toFixed(0)} MB`, '<= 150 MB', soakMb <= 150]] : []),
  ];
  const targetTable = [
    row(['target', 'measured', 'goal', 'met']),
    row(['---', '---:', '---', '---']),
    ...targets.map(([name, measured, goal, met]) => row([name, measured, goal, met === null ? '(info)' : met ? 'yes' : 'NO'])),
  ];
  const report = [
    '# Benchmarks',
    '',
    `Measured ${startedAt} with \`npm run bench\` (${header}).`,
    'Every figure below comes from that one run; the machine is shared, so compare ratios, not absolutes.',
    '',
    ...table,
    '',
    ...ceilingTable,
    '',
    ...targetTable,
    '',
    'Start-ups use a keys file made by a first start that is not counted, as a developer\'s machine has',
    'from its first run on. The analysis of the misses, with profiles, is in docs/benchmarks.md.',
    '',
    '## Many instances',
    '',
    INSTANCES_NOTE,
    '',
    ...instancesReport(instances),
    '',
  ].join('\n');
  process.stdout.write(`\n${report}\n`);
  if (process.env.BENCH_OUT) writeFileSync(path.resolve(root, process.env.BENCH_OUT), report);
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err.stack ?? err}\n`);
  process.exit(1);
});
