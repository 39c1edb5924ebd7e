#!/usr/bin/env node
/* global setInterval, clearInterval, __filename */
/**
 * `npm run soak` (= `npm run build && node --expose-gc scripts/soak-live.js`, which runs this file
 * unless SOAK_MODE=live), the abuse soak of issue 13, kept out of `npm test`. Figures and how to read
 * them: docs/hardening.md, "The soak".
 *
 * Phase 1 serves the mock in this process (with --state-file, saving every 5 s) while a child
 * process (at nice 19: it stands for clients on other machines) attacks it for SOAK_SECONDS
 * (default 180): a WebSocket client that sends but never reads, a khe sign-up flood, 250-way vault
 * sign-ins every half second, 200 slowloris connections, and a long vault refresh chain. A second
 * child probes GET /__admin/clock every 20 ms, as a well-behaved client would. Every 5 s it prints
 * heap and RSS (as sampled each second, no forced GC) and the event-loop delay
 * (monitorEventLoopDelay: longest and p99); each stall over SOAK_STALL_MS (default 50) is listed
 * with what the main thread did meanwhile (its CPU time, its wait for a core, the rest; GC pauses;
 * a state-file save under way).
 * Phase 2 runs the CLI with --state-file under a paced sign-up load and kills it, with SIGKILL then
 * with SIGTERM, and counts the acknowledged sign-ups lost after a restart on the same file.
 *
 * SOAK_ONLY=ws,signup,signin,slowloris,refresh runs only those attacks; SOAK_KILL=0 skips phase 2;
 * SOAK_SECONDS=0 skips phase 1; SOAK_ATTACKER_NICE=0 lets the attacker compete as an equal.
 */
const { spawn } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { connect } = require('node:net');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { monitorEventLoopDelay, performance } = require('node:perf_hooks');

const dist = path.resolve(__dirname, '..', 'dist');
const SECONDS = Number(process.env.SOAK_SECONDS ?? 180);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const MB = (n) => (n / 1024 / 1024).toFixed(1);

async function post(url, body) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

/** The attacker (a child process, so its work does not count against the server's event loop). */
async function attack(base, seconds) {
  const WebSocket = require(path.resolve(__dirname, '..', 'node_modules', 'ws'));
  const until = Date.now() + seconds * 1000;
  const jobs = [];
  const only = process.env.SOAK_ONLY ? process.env.SOAK_ONLY.split(',') : undefined;
  const job = (name, run) => { if (!only || only.includes(name)) jobs.push(run()); };
  // A WebSocket client that sends and never reads.
  job('ws', async () => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/sama`);
    await new Promise((r) => ws.once('open', r));
    ws._socket.pause();
    const frame = JSON.stringify({ request: { ['x'.repeat(60)]: {}, id: '1' } });
    while (Date.now() < until && ws.readyState === ws.OPEN) {
      for (let i = 0; i < 500; i++) ws.send(frame);
      await sleep(20);
    }
    ws.terminate();
  });
  // Sign-up flood.
  job('signup', async () => {
    let i = 0;
    while (Date.now() < until) await Promise.all(Array.from({ length: 8 }, () => post(`${base}/khe/v1.0/users`, { client: 'khe-web', email: `flood${i++}@khe.io`, password: 'password-1' }).catch(() => undefined)));
  });
  // 250-way sign-ins.
  job('signin', async () => {
    const grant = { grant_type: 'password', username: 'user@example.com', password: 'A9#bL8@z', client_id: 'haequi3Aah8lie2r' };
    let bad = 0;
    while (Date.now() < until) {
      const answers = await Promise.all(Array.from({ length: 250 }, () => post(`${base}/vault/reg/auth/token`, grant).catch(() => ({ status: 0 }))));
      bad += answers.filter((a) => a.status !== 200).length;
      await sleep(500);
    }
    process.stdout.write(`  attacker: 250-way sign-ins that failed: ${bad}\n`);
  });
  // Slowloris: 200 connections dribbling headers, reopened when cut.
  job('slowloris', async () => {
    const { port } = new URL(base);
    const open = () => {
      if (Date.now() >= until) return;
      const s = connect(Number(port), '127.0.0.1', () => s.write('GET /__admin/clock HTTP/1.1\r\n'));
      const t = setInterval(() => s.writable && s.write('X'), 500);
      s.on('error', () => undefined);
      s.on('close', () => {
        clearInterval(t);
        setTimeout(open, 100);
      });
    };
    for (let i = 0; i < 200; i++) open();
  });
  // A long refresh chain.
  job('refresh', async () => {
    const grant = { grant_type: 'password', username: 'viewer@example.com', password: 'V1ewer#2024', client_id: 'haequi3Aah8lie2r' };
    let tokens = (await post(`${base}/vault/reg/auth/token`, grant)).body;
    let n = 0;
    while (Date.now() < until && tokens?.refresh_token) {
      const r = await post(`${base}/vault/reg/auth/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: grant.client_id });
      if (r.status !== 200) break;
      tokens = r.body;
      n++;
    }
    process.stdout.write(`  attacker: refresh chain reached ${n}\n`);
  });
  await Promise.all(jobs);
}

/**
 * Watches the event loop with a 10 ms timer and explains each tick later than STALL_MS: how much
 * of the gap the main thread ran (CPU), waited for a core held by another thread or process (run
 * queue, from /proc/self/task/<pid>/schedstat on Linux), or neither (blocked in a system call); the
 * garbage collector's pauses inside it; and whether a state-file save was under way.
 */
function watchStalls(server) {
  const { readFileSync } = require('node:fs');
  const { PerformanceObserver } = require('node:perf_hooks');
  const schedstat = `/proc/self/task/${process.pid}/schedstat`;
  const sched = () => {
    try {
      const [run, wait] = readFileSync(schedstat, 'utf8').split(' ').map(Number);
      return { run: run / 1e6, wait: wait / 1e6 };
    } catch {
      return undefined;
    }
  };
  // The hypervisor's steal time (all cores, in 10 ms ticks) and this process's major page faults:
  // a gap in which the thread neither ran nor waited for a core was spent on one of these, or
  // blocked in a system call.
  const steal = () => {
    try {
      return Number(readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/)[8]) * 10;
    } catch {
      return NaN;
    }
  };
  const majorFaults = () => {
    try {
      const stat = readFileSync('/proc/self/stat', 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[9]);
    } catch {
      return NaN;
    }
  };
  const gcs = [];
  /** The longest pause of each kind of GC. */
  const longestGc = {};
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const gc = { start: e.startTime, end: e.startTime + e.duration, kind: GC_KINDS[e.detail?.kind] ?? String(e.detail?.kind) };
      gcs.push(gc);
      if (e.duration > (longestGc[gc.kind] ?? 0)) longestGc[gc.kind] = e.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  // Saves under way, by wrapping the state file's save.
  const saves = [];
  const stateFile = server.stateFile;
  if (stateFile) {
    const save = stateFile.save.bind(stateFile);
    stateFile.save = () => {
      const s = { start: performance.now(), end: Infinity };
      saves.push(s);
      const p = save();
      p.finally(() => (s.end = performance.now())).catch(() => undefined);
      return p;
    };
  }
  const stalls = [];
  let last = performance.now();
  let lastSched = sched();
  let lastSteal = steal();
  let lastFaults = majorFaults();
  const timer = setInterval(() => {
    const now = performance.now();
    const s = sched();
    const stolen = steal();
    const faults = majorFaults();
    const gap = now - last;
    if (gap - 10 > STALL_MS) {
      const overlap = (list) => list.reduce((ms, x) => ms + Math.max(0, Math.min(now, x.end) - Math.max(last, x.start)), 0);
      const cpu = s && lastSched ? s.run - lastSched.run : NaN;
      const queued = s && lastSched ? s.wait - lastSched.wait : NaN;
      stalls.push({
        at: last,
        gap,
        cpu,
        queued,
        blocked: gap - cpu - queued,
        gc: overlap(gcs),
        gcKinds: [...new Set(gcs.filter((g) => g.end > last && g.start < now).map((g) => g.kind))].join('+'),
        saving: overlap(saves) > 0,
        stolen: stolen - lastSteal,
        faults: faults - lastFaults,
      });
    }
    last = now;
    lastSched = s;
    lastSteal = stolen;
    lastFaults = faults;
    while (gcs.length > 0 && gcs[0].end < now - 1000) gcs.shift();
  }, 10);
  return {
    longestGc,
    t0: performance.now(),
    stalls,
    stop() {
      clearInterval(timer);
      observer.disconnect();
    },
    saves,
  };
}

const GC_KINDS = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weak callbacks' };

/** The first seconds of phase 1, reported apart as well: the warm-up of a fresh server. */
const WARMUP_SECONDS = Number(process.env.SOAK_WARMUP_SECONDS ?? 2);

/** Stalls of the event loop longer than this are listed one by one. */
const STALL_MS = Number(process.env.SOAK_STALL_MS ?? 50);

/**
 * A well-behaved client beside the attack (its own process, at normal priority): one cheap request
 * (GET /__admin/clock) at a time, every 20 ms, until `seconds` have passed; prints its latencies.
 */
async function probe(base, seconds) {
  const until = Date.now() + seconds * 1000;
  const times = [];
  let failed = 0;
  while (Date.now() < until) {
    const t = performance.now();
    try {
      const res = await fetch(`${base}/__admin/clock`);
      await res.arrayBuffer();
      if (res.status !== 200) failed++;
    } catch {
      failed++;
    }
    times.push(performance.now() - t);
    await sleep(20);
  }
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  process.stdout.write(`${JSON.stringify({ probe: { requests: times.length, failed, p50: at(0.5), p99: at(0.99), max: times[times.length - 1] ?? 0 } })}\n`);
}

async function phase1(dir) {
  const { startServer } = require(path.join(dist, 'server'));
  const os = require('node:os');
  const server = await startServer({ port: 0, logLevel: 'silent', stateFile: path.join(dir, 'state.json') });
  const delay = monitorEventLoopDelay({ resolution: 10 });
  const whole = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  whole.enable();
  // After the warm-up (the first use of each code path: module loading, schema compiling, JIT).
  const steady = monitorEventLoopDelay({ resolution: 10 });
  const warmedUp = setTimeout(() => steady.enable(), WARMUP_SECONDS * 1000);
  const watch = watchStalls(server);
  let peakHeap = 0;
  let peakRss = 0;
  const child = spawn(process.execPath, [__filename, 'attack', server.url, String(SECONDS)], { stdio: ['ignore', 'inherit', 'inherit'] });
  const prober = spawn(process.execPath, [__filename, 'probe', server.url, String(SECONDS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let probeOut = '';
  prober.stdout.on('data', (d) => (probeOut += d));
  const probed = new Promise((r) => prober.once('exit', () => r(/\{"probe".*\}/.exec(probeOut) ? JSON.parse(/\{"probe".*\}/.exec(probeOut)[0]).probe : undefined)));
  // The attacker stands for clients on other machines: it takes a core only when the server leaves
  // one (SOAK_ATTACKER_NICE=0 lets it compete as an equal).
  try {
    os.setPriority(child.pid, Number(process.env.SOAK_ATTACKER_NICE ?? 19));
  } catch {
    // not permitted here: it competes as an equal
  }
  const started = Date.now();
  let tick = 0;
  // Heap and RSS every second as they are (no forced GC, which would itself stall the loop): the
  // heap figure includes garbage not yet collected, so it is an upper bound of the live heap.
  const sample = setInterval(() => {
    const { heapUsed, rss } = process.memoryUsage();
    peakHeap = Math.max(peakHeap, heapUsed);
    peakRss = Math.max(peakRss, rss);
    if (++tick % 5 !== 0) return;
    const stall = delay.max / 1e6;
    const p99 = delay.percentile(99) / 1e6;
    delay.reset();
    process.stdout.write(
      `  t=${String(Math.round((Date.now() - started) / 1000)).padStart(4)}s heap ${MB(heapUsed)} MB  rss ${MB(rss)} MB  loop delay: longest ${stall.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms  entries ${server.sessions.count.total}  load average ${os.loadavg()[0].toFixed(1)}\n`,
    );
  }, 1000);
  await new Promise((r) => child.once('exit', r));
  const probeResult = await probed;
  clearInterval(sample);
  watch.stop();
  clearTimeout(warmedUp);
  steady.disable();
  await server.close();
  const stalls = watch.stalls;
  if (stalls.length > 0) {
    process.stdout.write(`  stalls over ${STALL_MS} ms (gap between two 10 ms ticks; in ms: the main thread's CPU, its wait for a core, the rest (the hypervisor's steal time on all cores, major page faults, else a blocking system call); GC pauses inside it):\n`);
    for (const x of stalls.sort((a, b) => b.gap - a.gap).slice(0, 20)) {
      process.stdout.write(
        `    t=${((x.at - watch.t0) / 1000).toFixed(1).padStart(6)}s ${x.gap.toFixed(0).padStart(5)} ms: cpu ${x.cpu.toFixed(0)}, waiting for a core ${x.queued.toFixed(0)}, neither ${x.blocked.toFixed(0)} (steal ${x.stolen}, major faults ${x.faults}), gc ${x.gc.toFixed(0)}${x.gcKinds ? ` (${x.gcKinds})` : ''}${x.saving ? ', during a save' : ''}\n`,
      );
    }
  }
  return {
    peakHeap,
    peakRss,
    worstStall: whole.max / 1e6,
    p99: whole.percentile(99) / 1e6,
    steadyStall: steady.max / 1e6,
    steadyP99: steady.percentile(99) / 1e6,
    steadyStalls: stalls.filter((x) => x.at - watch.t0 > WARMUP_SECONDS * 1000).length,
    // Of each stall, the part the main thread spent running (its own work, GC on it included).
    ownCpu: Math.max(0, ...stalls.map((x) => x.cpu)),
    steadyOwnCpu: Math.max(0, ...stalls.filter((x) => x.at - watch.t0 > WARMUP_SECONDS * 1000).map((x) => x.cpu)),
    // Stalls in which the main thread ran for more than STALL_MS itself.
    ownStalls: stalls.filter((x) => x.cpu > STALL_MS).length,
    stalls: stalls.length,
    saves: watch.saves.length,
    longestSave: Math.max(0, ...watch.saves.map((s) => s.end - s.start)),
    longestGc: watch.longestGc,
    probe: probeResult,
  };
}

/**
 * Phase 2's load: KILL_WORKERS clients, each signing up in its own state session at most
 * KILL_RATE_PER_WORKER a second and at most KILL_PER_SESSION in all. A khe sign-up keeps 7 records
 * (user, e-mail, session, its two tokens, the client pointer, the user's session list), so these
 * stay inside the store's bounds (25,000 records per state session, 100,000 in all: docs/hardening.md),
 * where the least recently used records would go by design and could not be told from a loss.
 */
const KILL_WORKERS = 8;
const KILL_RATE_PER_WORKER = Number(process.env.SOAK_KILL_RATE ?? 150);
const KILL_PER_SESSION = 3000;

/**
 * Sign-ups against the CLI with --state-file until it is killed with `signal` (after 8 s of load);
 * then, after a restart on the same file, signs each acknowledged address up again in its session:
 * "already in use" (409) means it was kept, a 201 that it was lost.
 */
async function killAndCount(dir, signal) {
  const file = path.join(dir, `kill-${signal}.json`);
  const serve = () => {
    const child = spawn(process.execPath, [path.join(dist, 'cli', 'main.js'), 'serve', '--port', '0', '--api', 'khe', '--log-level', 'error', '--state-file', file], { stdio: ['ignore', 'pipe', 'inherit'] });
    return new Promise((resolve) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve({ child, url: m[1] });
      });
    });
  };
  const signUp = (url, session, email) =>
    fetch(`${url}/v1.0/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-authdouble-session': session },
      body: JSON.stringify({ client: 'khe-web', email, password: 'password-1' }),
    }).then(async (res) => (await res.arrayBuffer(), res.status));
  const { child, url } = await serve();
  const acked = [];
  let stop = false;
  const workers = Array.from({ length: KILL_WORKERS }, async (_, w) => {
    const session = `kill-${w}`;
    for (let i = 0; !stop && i < KILL_PER_SESSION; i++) {
      const started = Date.now();
      const email = `${signal}-${w}-${i}@khe.io`;
      const status = await signUp(url, session, email).catch(() => undefined);
      if (status === 201) acked.push({ session, email, at: Date.now() });
      await sleep(Math.max(0, 1000 / KILL_RATE_PER_WORKER - (Date.now() - started)));
    }
  });
  await sleep(8000);
  const killedAt = Date.now();
  child.kill(signal);
  stop = true;
  await Promise.all(workers);
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', r)));
  const again = await serve();
  let lost = 0;
  let unclear = 0;
  let oldestLost;
  for (const a of acked) {
    const status = await signUp(again.url, a.session, a.email);
    if (status === 201) {
      lost++;
      oldestLost ??= a.at;
    } else if (status !== 409) unclear++;
  }
  again.child.kill('SIGTERM');
  await new Promise((r) => again.child.once('exit', r));
  return { acked: acked.length, lost, unclear, window: oldestLost ? ((killedAt - oldestLost) / 1000).toFixed(1) : '0' };
}

async function main() {
  if (process.argv[2] === 'attack') return attack(process.argv[3], Number(process.argv[4]));
  if (process.argv[2] === 'probe') return probe(process.argv[3], Number(process.argv[4]));
  const dir = mkdtempSync(path.join(tmpdir(), 'authdouble-soak-'));
  try {
    if (SECONDS > 0) {
      process.stdout.write(`phase 1: ${SECONDS} s of abuse against an in-process server with --state-file\n`);
      const p1 = await phase1(dir);
      process.stdout.write(
        `phase 1 results\n  peak heap ${MB(p1.peakHeap)} MB (target < 200)\n  peak RSS ${MB(p1.peakRss)} MB\n  longest event-loop stall ${p1.worstStall.toFixed(1)} ms (target < 50), p99 ${p1.p99.toFixed(1)} ms; ${p1.stalls} stalls over ${STALL_MS} ms\n` +
          `  of that, the main thread's own CPU time: at most ${p1.ownCpu.toFixed(0)} ms in one stall (${p1.steadyOwnCpu.toFixed(0)} ms after the warm-up); ${p1.ownStalls} stalls with over ${STALL_MS} ms of it (the rest of each stall: waiting for a core or for GC helper threads)\n` +
          `  after the first ${WARMUP_SECONDS} s (warm-up): longest stall ${p1.steadyStall.toFixed(1)} ms, p99 ${p1.steadyP99.toFixed(1)} ms; ${p1.steadyStalls} stalls over ${STALL_MS} ms\n` +
          `  longest GC pause by kind: ${Object.entries(p1.longestGc).map(([k, ms]) => `${k} ${ms.toFixed(1)} ms`).join(', ')}\n` +
          (p1.probe
            ? `  probe (GET /__admin/clock, one at a time, every 20 ms, from another process): ${p1.probe.requests} requests, ${p1.probe.failed} failed; latency p50 ${p1.probe.p50.toFixed(1)} ms, p99 ${p1.probe.p99.toFixed(1)} ms, max ${p1.probe.max.toFixed(1)} ms\n`
            : '') +
          `  state-file saves: ${p1.saves}, the longest took ${p1.longestSave.toFixed(0)} ms (wall clock, the loop serving meanwhile)\n`,
      );
    }
    if (process.env.SOAK_KILL === '0') return;
    process.stdout.write('phase 2: acknowledged sign-ups lost when the server is killed\n');
    const kill = await killAndCount(dir, 'SIGKILL');
    const term = await killAndCount(dir, 'SIGTERM');
    process.stdout.write(
      `phase 2 results\n` +
        `  SIGKILL: ${kill.acked} acknowledged, ${kill.lost} lost (the oldest lost was acknowledged ${kill.window} s before the kill; documented window 5 s)${kill.unclear ? `; ${kill.unclear} unclear answers` : ''}\n` +
        `  SIGTERM: ${term.acked} acknowledged, ${term.lost} lost (target 0)${term.unclear ? `; ${term.unclear} unclear answers` : ''}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
