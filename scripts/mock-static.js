#!/usr/bin/env node
/**
 * `npm run mock:static -- <api> [--port N]`: Prism's static mock of one spec, for comparison with
 * authdouble's stateful one. Prism answers from the spec's examples and keeps no state.
 */
const { spawn } = require('node:child_process');
const { existsSync, readdirSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const apis = readdirSync(path.join(root, 'openapi'))
  .filter((f) => f.endsWith('.yaml') && f !== 'admin.yaml')
  .map((f) => f.replace(/\.yaml$/, ''));
const [api, ...rest] = process.argv.slice(2);
if (!api || !apis.includes(api)) {
  process.stderr.write(`usage: npm run mock:static -- <api> [--port N]\n  <api> is one of: ${apis.join(', ')}\n`);
  process.exit(2);
}
let port = process.env.PORT ?? '4010';
const portFlag = rest.indexOf('--port');
if (portFlag !== -1) port = rest[portFlag + 1] ?? '';
if (!/^\d+$/.test(port) || Number(port) > 65535) {
  process.stderr.write(`--port must be a whole number from 0 to 65535, got "${port}"\n`);
  process.exit(2);
}
const prism = path.join(root, 'node_modules', '.bin', 'prism');
if (!existsSync(prism)) {
  process.stderr.write('Prism is not installed: run npm ci first\n');
  process.exit(2);
}
const child = spawn(prism, ['mock', '-h', '127.0.0.1', '-p', port, path.join(root, 'openapi', `${api}.yaml`)], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
