#!/usr/bin/env node
/**
 * Part of `npm run build` (after tsc): compiles the validators of the embedded specs (openapi/*.yaml)
 * and of the fixture schemas into Ajv standalone code in dist/validators, so that start-up neither
 * loads Ajv nor compiles a schema (src/engine/precompiled.ts). Each spec's code is used only while
 * its file keeps the content digest recorded here; each fixture validator only while its
 * schema has the digest recorded here. Anything else is compiled at run time, as before.
 */
const { mkdirSync, readdirSync, rmSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const standaloneCode = require('ajv/dist/standalone').default;

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const out = path.join(dist, 'validators');
const { apiModules } = require(path.join(dist, 'apis'));
const { collectExtensionKeys, compileSpec } = require(path.join(dist, 'engine', 'compile'));
const { createSpecAjv, loadAjv } = require(path.join(dist, 'engine', 'ajv'));
const { fileDigest, readYamlFile } = require(path.join(dist, 'engine', 'yaml-file'));
const { FIXTURE_AJV_OPTIONS, fixtureFileSchema } = require(path.join(dist, 'fixtures', 'load'));
const { schemaDigest } = require(path.join(dist, 'engine', 'precompiled'));

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

let count = 0;
const specs = readdirSync(path.join(root, 'openapi')).filter((f) => f.endsWith('.yaml'));
for (const name of specs) {
  const id = name.slice(0, -'.yaml'.length);
  const file = path.join(root, 'openapi', name);
  const doc = readYamlFile(file, 'the OpenAPI spec').data;
  // Every validator compileSpec would make (responses too, for --strict), by key.
  const collected = new Map();
  compileSpec(doc, file, `spec:${id}`, {
    responses: true,
    trusted: true,
    collect: (key, schema, coerceTypes) => collected.set(key, { schema, coerceTypes }),
  });
  const keys = {};
  for (const kind of ['plain', 'coerce']) {
    const items = [...collected].filter(([, v]) => v.coerceTypes === (kind === 'coerce'));
    if (items.length === 0) continue;
    const ajv = createSpecAjv(`spec:${id}`, doc, collectExtensionKeys(doc), { coerceTypes: kind === 'coerce', trusted: true, source: true });
    const names = {};
    items.forEach(([key, { schema }], i) => {
      const exportName = `v${i}`;
      ajv.addSchema(schema, exportName);
      names[exportName] = exportName;
      keys[key] = [kind, exportName];
    });
    writeFileSync(path.join(out, `spec-${id}-${kind}.js`), standaloneCode(ajv, names));
    count += items.length;
  }
  writeFileSync(path.join(out, `spec-${id}.json`), JSON.stringify({ file: path.relative(root, file), sha256: fileDigest(file), keys }));
}

// The fixture schemas, with the options src/fixtures/load.ts compiles them with.
const { Ajv, addFormats } = loadAjv();
const ajv = new Ajv({ ...FIXTURE_AJV_OPTIONS, code: { source: true } });
addFormats(ajv);
const digests = {};
const names = {};
for (const module of apiModules) {
  const schema = fixtureFileSchema(module);
  ajv.addSchema(schema, module.id);
  names[module.id] = module.id;
  digests[module.id] = schemaDigest(schema);
}
writeFileSync(path.join(out, 'fixtures.js'), `${standaloneCode(ajv, names)}\nexports.digests = ${JSON.stringify(digests)};\n`);
count += apiModules.length;
// The sama AsyncAPI message schemas (src/apis/sama/ws-schemas.ts), indexed like a spec's: the first
// WebSocket message then neither loads Ajv nor compiles (about 50 ms of event loop, once).
{
  const { asyncApiFile, WS_SCHEMA_NAMES } = require(path.join(dist, 'apis', 'sama', 'ws-schemas'));
  const doc = readYamlFile(asyncApiFile, 'the sama AsyncAPI document').data;
  const ajv = createSpecAjv('asyncapi:sama', { components: doc.components }, collectExtensionKeys(doc), { source: true });
  const keys = {};
  const names = {};
  WS_SCHEMA_NAMES.forEach((name, i) => {
    ajv.addSchema({ $ref: `asyncapi:sama#/components/schemas/${name}` }, `v${i}`);
    names[`v${i}`] = `v${i}`;
    keys[name] = ['plain', `v${i}`];
  });
  writeFileSync(path.join(out, 'spec-asyncapi-sama-plain.js'), standaloneCode(ajv, names));
  writeFileSync(path.join(out, 'spec-asyncapi-sama.json'), JSON.stringify({ file: path.relative(root, asyncApiFile), sha256: fileDigest(asyncApiFile), keys }));
  count += WS_SCHEMA_NAMES.length;
}
process.stdout.write(`compiled ${count} validators into dist/validators\n`);
