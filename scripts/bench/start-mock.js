// startMock({ apis: ['b2core'] }) in-process, as a test file does: prints JSON with the milliseconds
// from before `require` to the first mock ready (what one test file pays), and the median of the
// next RUNS start-ups (what each further mock costs), each followed by close().
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const RUNS = Number(process.argv[2] ?? 5);
const started = performance.now();
const { startMock } = require(path.join(__dirname, '../../dist/index.js'));

async function main() {
  const keysFile = process.env.AUTHDOUBLE_KEYS_FILE;
  const options = { apis: ['b2core'], ...(keysFile ? { keysFile } : {}) };
  const first = await startMock(options);
  const firstMs = performance.now() - started;
  await first.close();
  const next = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const mock = await startMock(options);
    next.push(performance.now() - t);
    await mock.close();
  }
  next.sort((a, b) => a - b);
  process.stdout.write(`${JSON.stringify({ firstMs, nextMs: next[Math.floor(next.length / 2)] })}\n`);
}
main();
