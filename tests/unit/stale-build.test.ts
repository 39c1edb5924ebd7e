/** The jest globalSetup that keeps the end-to-end tests from running an older build than the sources. */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { staleness, inputs } = require('../global-setup.js') as { staleness(dir?: string): string | undefined; inputs: string[] };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'authdouble-stale-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, secondsAgo: number): void {
  const full = path.join(dir, name);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, '');
  const t = Date.now() / 1000 - secondsAgo;
  utimesSync(full, t, t);
}

describe('jest globalSetup: is dist/ older than what it is built from?', () => {
  it('says so when dist/ is missing', () => {
    file('src/index.ts', 100);
    expect(staleness(dir)).toBe('dist/ is missing');
  });

  it('says which input changed after the build', () => {
    file('dist/cli/main.js', 50);
    file('dist/index.js', 50);
    file('src/engine/pipeline.ts', 10);
    file('openapi/b2core.yaml', 100);
    expect(staleness(dir)).toBe('src changed since dist/ was built');
    file('openapi/b2core.yaml', 5);
    expect(staleness(dir)).toBe('src, openapi changed since dist/ was built');
  });

  it('takes the older of the built files', () => {
    file('dist/cli/main.js', 5);
    file('dist/index.js', 50);
    file('src/index.ts', 10);
    expect(staleness(dir)).toBe('src changed since dist/ was built');
  });

  it('is satisfied when dist/ is newer than every input', () => {
    file('src/index.ts', 100);
    file('openapi/b2core.yaml', 100);
    file('package.json', 100);
    file('dist/cli/main.js', 10);
    file('dist/index.js', 10);
    expect(staleness(dir)).toBeUndefined();
  });

  it('watches every script the build runs', () => {
    expect(inputs).toEqual(expect.arrayContaining(['src', 'openapi', 'package.json', 'scripts/cache-yaml.js']));
  });

  it('finds the repository\'s own dist/ up to date once built (npm test builds first)', () => {
    expect(staleness()).toBeUndefined();
  });
});
