/**
 * The standalone server's V8 heap setting (src/heap.ts): it is set unless node was given one, it
 * keeps the old generation small in a real V8, and `authdouble serve` applies and says so.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { HEAP_GROWING_PERCENT, leanHeap } from '../../src/heap';
import { root, serveCli } from '../helpers/cli';
import { waitFor } from '../helpers/ports';

jest.setTimeout(30_000);

const QUIET = { info: () => undefined };

describe('leanHeap', () => {
  it('sets the growing factor after start-up when node was given none', async () => {
    const set = jest.fn();
    const said = leanHeap(QUIET, [], set, 0);
    expect(set).not.toHaveBeenCalled();
    await waitFor(() => set.mock.calls.length > 0, 1000, 'the flag to be set');
    expect(set.mock.calls).toEqual([[`--heap-growing-percent=${HEAP_GROWING_PERCENT}`]]);
    expect(said).toContain(`grows by ${HEAP_GROWING_PERCENT}%`);
  });

  it.each([['--heap-growing-percent=50'], ['--heap_growing_percent=0'], ['--heap-growing-percent']])('keeps what node was given: %s', async (arg) => {
    const set = jest.fn();
    const said = leanHeap(QUIET, ['--enable-source-maps', arg], set, 0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(set).not.toHaveBeenCalled();
    expect(said).toContain(`as node was told (${arg})`);
  });
});

/**
 * A process that keeps 20 MB and promotes garbage through a ring; prints the old space's peak in MB.
 * V8's own factor lets the old space reach about 160 MB here, 1.3x about 70 MB.
 */
const CHURN = `
const v8 = require('node:v8');
if (process.argv[1] === 'lean') require(${JSON.stringify(path.join(root, 'dist', 'heap.js'))}).leanHeap({ info() {} }, [], undefined, 0);
setTimeout(() => {
  const kept = Array.from({ length: 200000 }, (_, i) => ({ i, text: 'kept ' + i }));
  const ring = new Array(200000);
  let peak = 0;
  for (let i = 0; i < 4000000; i++) {
    ring[i % ring.length] = { i, text: 'churn ' + i };
    if (i % 20000 === 0) peak = Math.max(peak, v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space').space_size);
  }
  console.log(kept.length === 200000 ? peak / 1048576 : -1);
}, 10);
`;

function oldSpacePeak(mode: 'lean' | 'default'): number {
  const run = spawnSync(process.execPath, ['-e', CHURN, mode], { encoding: 'utf8', timeout: 20_000 });
  expect(run.status).toBe(0);
  return Number(run.stdout.trim());
}

it("keeps V8's old generation well under what V8's own factor lets it reach", () => {
  const lean = oldSpacePeak('lean');
  const own = oldSpacePeak('default');
  expect(lean).toBeGreaterThan(20);
  expect(lean).toBeLessThan(own * 0.6);
});

it('`authdouble serve` applies it and says so at start', async () => {
  const cli = await serveCli(['--api', 'khe']);
  try {
    await waitFor(() => cli.stderr().includes('memory:'), 5000, 'the memory line');
    expect(cli.stderr()).toContain(`info memory: V8's old generation grows by ${HEAP_GROWING_PERCENT}% over what each full collection keeps`);
  } finally {
    await cli.stop();
  }
});
