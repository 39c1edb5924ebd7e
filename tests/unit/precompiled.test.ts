import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compileSpec } from '../../src/engine/compile';
import { precompiledFixture, precompiledSpec } from '../../src/engine/precompiled';
import { readYamlFile } from '../../src/engine/yaml-file';
import { fixtureFileSchema } from '../../src/fixtures/load';
import { apiModules } from '../../src/apis';
import { WS_SCHEMA_NAMES, asyncApiFile, loadWsValidators } from '../../src/apis/sama/ws-schemas';
import { createSpecAjv } from '../../src/engine/ajv';
import { collectExtensionKeys } from '../../src/engine/compile';

/**
 * The validators compiled at build time (dist/validators, made by `npm run build`) answer exactly as
 * the ones Ajv compiles at run time, and are used only for the files they were built from.
 */

const root = path.resolve(__dirname, '../..');
const specFile = (id: string) => path.join(root, 'openapi', `${id}.yaml`);

/** Bodies that pass, and bodies that fail in several ways. */
const SAMPLES: unknown[] = [
  {},
  { email: 'foo@bar.com', password: 'Secret123' },
  { email: 42, password: null },
  { email: 'not an e-mail', password: 'x', extra: true },
  [],
  'text',
  { grant_type: 'password', username: 'user@example.com', password: 'p', client_id: 'c' },
  { client: 'khe-web', email: 'hacker@khe.io', password: 'hackathon' },
  { organization_id: '680a2fae96cc69d78861f101', login: 'u', password: 'p', device_id: 'd' },
];

describe('build-time validators', () => {
  it.each([...apiModules.map((m) => m.id), 'admin'])('%s: exist for the embedded spec and answer as run-time ones', (id) => {
    const file = specFile(id);
    const precompiled = precompiledSpec(id, file);
    expect(precompiled).toBeDefined(); // `npm run build` makes them
    const doc = readYamlFile(file, 'spec').data;
    const built = compileSpec(doc, file, `spec:${id}`, { responses: true, trusted: true, precompiled });
    const runtime = compileSpec(doc, file, `spec:${id}`, { responses: true, trusted: true, lazy: false });
    let compared = 0;
    built.operations.forEach((op, i) => {
      const other = runtime.operations[i]!;
      for (const [type, validate] of op.requestBody?.media ?? []) {
        const reference = other.requestBody!.media.get(type);
        if (!validate || !reference) continue;
        for (const sample of SAMPLES) {
          const a = structuredClone(sample);
          const b = structuredClone(sample);
          expect([validate(a), validate.errors]).toEqual([reference(b), reference.errors]);
          compared++;
        }
      }
      if (op.validateParams) {
        const params = { path: {}, query: { limit: 'x' }, header: {}, cookie: {} };
        expect([op.validateParams(structuredClone(params)), op.validateParams.errors]).toEqual([
          other.validateParams!(structuredClone(params)),
          other.validateParams!.errors,
        ]);
        compared++;
      }
    });
    expect(compared).toBeGreaterThan(0);
  });

  it('sama WebSocket messages: the build has every AsyncAPI message schema, and it answers as Ajv at run time', () => {
    const built = precompiledSpec('asyncapi-sama', asyncApiFile);
    expect(built).toBeDefined(); // `npm run build` makes them
    const validators = loadWsValidators();
    const doc = readYamlFile(asyncApiFile, 'AsyncAPI').data as { components: object };
    const ajv = createSpecAjv('asyncapi:sama', { components: doc.components }, collectExtensionKeys(doc));
    const frames: unknown[] = [
      ...SAMPLES,
      { connect: { token: 'x', device_id: 'd' }, id: '1' },
      { user_login: { login: 'u', password: 'p', deviceId: 'd' }, id: 2 },
      { user_login: { token: 'x', deviceId: 'd' }, id: '' },
      { ping: {}, id: 'p' },
      { user_create: { login: 'a', password: 'bbbbbb', organization_id: 'o' }, id: '1' },
      { user_logout: {}, id: ['x'] },
      { response: { id: '1', user: { _id: 'u' }, token: 't' } },
    ];
    for (const name of WS_SCHEMA_NAMES) {
      expect(built!(name)).toEqual(expect.any(Function));
      const reference = ajv.compile({ $ref: `asyncapi:sama#/components/schemas/${name}` });
      for (const frame of frames) {
        const validate = validators[name];
        expect([name, validate(structuredClone(frame)), validate.errors]).toEqual([name, reference(structuredClone(frame)), reference.errors]);
      }
    }
  });

  it('are not used for a copy of a spec elsewhere, nor for a fixture schema that changed', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'authdouble-precompiled-'));
    const copy = path.join(dir, 'b2core.yaml');
    copyFileSync(specFile('b2core'), copy);
    expect(precompiledSpec('b2core', copy)).toBeUndefined();

    const b2core = apiModules.find((m) => m.id === 'b2core')!;
    const schema = fixtureFileSchema(b2core);
    expect(precompiledFixture('b2core', schema)).toBeDefined();
    expect(precompiledFixture('b2core', { ...schema, required: ['users', 'issuer'] })).toBeUndefined();
  });

  it('check a fixture as the run-time compile does, defaults included', () => {
    const b2core = apiModules.find((m) => m.id === 'b2core')!;
    const validate = precompiledFixture('b2core', fixtureFileSchema(b2core))!;
    const fixture: Record<string, unknown> = { users: [{ id: '1', email: 'a@b.co', password: 'x' }] };
    expect(validate(fixture)).toBe(true);
    expect(fixture.tokens).toMatchObject({ accessTokenSeconds: 36000 });
    expect(validate({ users: [{ id: '1' }], userz: [] })).toBe(false);
    expect(validate.errors?.length).toBeGreaterThan(0);
  });
});
