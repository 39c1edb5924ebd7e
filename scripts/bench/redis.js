/**
 * A redis-server of the bench's own, as tests/helpers/redis.ts starts one for the tests: Debian's
 * /usr/bin/redis-server (or REDIS_SERVER) on a free loopback port, no persistence, its own folder;
 * stopped by its process id.
 */
const { spawn } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { connect, createServer } = require('node:net');
const os = require('node:os');
const path = require('node:path');

const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Sends one command (inline form) and resolves with the first line of the answer. */
function command(port, text) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (answer) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(2000, () => done(''));
    socket.once('error', () => done(''));
    socket.once('connect', () => socket.write(`${text}\r\n`));
    socket.once('data', (data) => done(data.toString().split('\r\n')[0]));
  });
}

/** CPU time (user + system) of a process, in ms, from /proc. */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

async function startRedis(wrap = (cmd, args) => [cmd, args]) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'authdouble-bench-redis-'));
  const port = await freePort();
  const [cmd, args] = wrap(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning']);
  const child = spawn(cmd, args, { stdio: 'ignore' });
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 10000;
  while ((await command(port, 'PING')) !== '+PONG') {
    if (exited) throw new Error(`${REDIS_SERVER} exited at once`);
    if (Date.now() > deadline) {
      process.kill(child.pid, 'SIGKILL');
      throw new Error(`${REDIS_SERVER} did not answer on port ${port} within 10 s`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid,
    cpuMs: () => cpuMs(child.pid),
    flush: () => command(port, 'FLUSHALL'),
    async stop() {
      if (!exited) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        process.kill(child.pid, 'SIGTERM');
        const timer = setTimeout(() => process.kill(child.pid, 'SIGKILL'), 5000);
        await gone;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { startRedis };
