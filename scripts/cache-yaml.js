#!/usr/bin/env node
/**
 * Part of `npm run build`: parses the package's own YAML (specs, default fixtures, AsyncAPI) into
 * dist/yaml-cache, so that start-up reads JSON. src/engine/yaml-file.ts uses an entry only while the
 * YAML file's content has the digest recorded (not its time: `npm pack` sets every file's time to a
 * fixed date), so an edited file is parsed afresh.
 */
const { createHash } = require('node:crypto');
const { mkdirSync, readdirSync, readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { parse } = require('yaml');

const root = path.resolve(__dirname, '..');
let count = 0;
for (const dir of ['openapi', 'fixtures', 'asyncapi']) {
  let files;
  try {
    files = readdirSync(path.join(root, dir)).filter((f) => f.endsWith('.yaml'));
  } catch {
    continue;
  }
  for (const name of files) {
    const file = path.join(root, dir, name);
    let data;
    try {
      data = parse(readFileSync(file, 'utf8'), { uniqueKeys: true, maxAliasCount: 100 });
    } catch {
      continue; // a broken file is reported at start-up, with its position, from the YAML itself
    }
    const sha256 = createHash('sha256').update(readFileSync(file)).digest('base64url');
    const out = path.join(root, 'dist', 'yaml-cache', dir, `${name}.json`);
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify({ sha256, data }));
    count++;
  }
}
process.stdout.write(`cached ${count} YAML files in dist/yaml-cache\n`);
