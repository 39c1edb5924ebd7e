/**
 * jest globalSetup: the end-to-end tests run the built CLI (dist/), so a run never tests an older
 * build than the sources. When anything the build reads is newer than dist/, it builds first
 * (`npm run build`); when the build fails, the run stops with its output.
 */
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
/** What the build reads: sources, specs, and the build's own configuration and scripts. */
const buildScripts = [...(require(path.join(root, 'package.json')).scripts.build ?? '').matchAll(/node (scripts\/\S+\.js)/g)].map((m) => m[1]);
const inputs = ['src', 'openapi', 'asyncapi', 'tsconfig.json', 'tsconfig.build.json', 'package.json', ...buildScripts];
/** What the build writes that the tests run. */
const outputs = ['dist/cli/main.js', 'dist/index.js'];

function newest(file) {
  if (!existsSync(file)) return 0;
  const stat = statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(file).reduce((max, name) => Math.max(max, newest(path.join(file, name))), 0);
}

/** Why dist/ under `dir` is out of date, or undefined when it is not. */
function staleness(dir = root) {
  const built = Math.min(...outputs.map((f) => (existsSync(path.join(dir, f)) ? statSync(path.join(dir, f)).mtimeMs : 0)));
  if (built === 0) return 'dist/ is missing';
  const changed = inputs.filter((f) => newest(path.join(dir, f)) > built);
  return changed.length > 0 ? `${changed.join(', ')} changed since dist/ was built` : undefined;
}

module.exports = async function buildDistIfStale() {
  const why = staleness();
  if (!why) return;
  process.stderr.write(`\njest globalSetup: ${why}; building it (npm run build)\n`);
  const result = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`dist/ is out of date (${why}) and npm run build failed:\n${result.stdout}${result.stderr}`);
  }
  const still = staleness();
  if (still) throw new Error(`dist/ is still out of date after npm run build: ${still}`);
};

module.exports.staleness = staleness;
module.exports.inputs = inputs;
