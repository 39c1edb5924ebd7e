import path from 'node:path';
import { createSpecAjv } from '../../src/engine/ajv';
import { collectExtensionKeys, isObject } from '../../src/engine/compile';
import { readYamlFile } from '../../src/engine/yaml-file';
import { loadWsValidators } from '../../src/apis/sama/ws-schemas';

const file = path.join(__dirname, '../../asyncapi/sama.yaml');
const doc = readYamlFile(file, 'asyncapi').data as Record<string, any>;

const resolve = (ref: string): unknown =>
  ref
    .slice(2)
    .split('/')
    .reduce<unknown>((node, key) => (isObject(node) ? node[key.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), doc);

describe('asyncapi/sama.yaml', () => {
  it('is an AsyncAPI 3.0 document with info, servers, channels and operations', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String), license: { name: 'MIT' } });
    expect(Object.values(doc.servers as object).map((s: any) => s.protocol)).toEqual(['ws', 'ws']);
    expect(Object.keys(doc.operations as object)).toEqual(['ping', 'userCreate', 'userLogout', 'connect', 'userLogin']);
  });

  it('has every $ref pointing at something', () => {
    const refs: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (isObject(node)) {
        if (typeof node.$ref === 'string') refs.push(node.$ref);
        Object.values(node).forEach(walk);
      }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(10);
    expect(refs.filter((r) => !r.startsWith('#/') || resolve(r) === undefined)).toEqual([]);
  });

  const ajv = createSpecAjv('asyncapi:test', { components: doc.components }, collectExtensionKeys(doc));
  const examples = Object.entries(doc.components.messages as Record<string, any>).flatMap(([name, message]) =>
    (message.examples as Array<{ name: string; payload: unknown }>).map((ex) => [`${name}/${ex.name}`, message.payload.$ref as string, ex.payload] as const),
  );

  it('has examples for every message', () => {
    expect(examples.length).toBeGreaterThanOrEqual(Object.keys(doc.components.messages).length);
  });

  it.each(examples)('example %s validates against its payload schema', (_name, ref, payload) => {
    const validate = ajv.compile({ $ref: `asyncapi:test${ref}` });
    expect(validate(payload) ? [] : validate.errors).toEqual([]);
  });

  it('is what the server compiles its WebSocket checks from', () => {
    const validators = loadWsValidators(file);
    expect(validators.ConnectParams({ token: 't', device_id: 'd' })).toBe(true);
    expect(validators.ConnectParams({ token: 't' })).toBe(false);
  });

  it('refuses to start on a document without its schemas', () => {
    const broken = path.join(__dirname, '../../openapi/sama.yaml');
    expect(() => loadWsValidators(broken)).toThrow(/components\.schemas\.RequestId is missing/);
  });
});
