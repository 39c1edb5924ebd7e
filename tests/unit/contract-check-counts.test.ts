/**
 * The number of contract checks per API, pinned: a flow file that loses (or gains) checks is noticed
 * here, and the README's total follows it. Change this table in the commit that changes the flows.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadChecks } from '../../src/contract';

const EXPECTED: Record<string, number> = { b2core: 24, vault: 21, fib: 15, sama: 19, khe: 16 };

describe('contract checks per API', () => {
  it.each(Object.entries(EXPECTED))('%s has %i checks, each with a unique id', (api, count) => {
    const ids = loadChecks(api, []).map((c) => c.id);
    expect(ids).toHaveLength(count);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id.startsWith(`${api}.`)).toBe(true);
  });

  it('the README states the total', () => {
    const total = Object.values(EXPECTED).reduce((a, b) => a + b, 0);
    const readme = readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
    expect(/Against authdouble every check passes when run with `--destructive` \(all (\d+)\)/.exec(readme)?.[1]).toBe(String(total));
  });
});
