#!/usr/bin/env node
/**
 * `npm start` runs this first (prestart): a fresh clone has no dist/ (installing runs no build
 * script), so build it once. An existing build is left alone: `npm run build` rebuilds.
 */
const { existsSync } = require('node:fs');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
if (!existsSync(path.join(root, 'dist', 'cli', 'main.js'))) {
  process.stdout.write('dist/ is missing: building it first (npm run build)\n');
  const result = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  process.exitCode = result.status ?? 1;
}
