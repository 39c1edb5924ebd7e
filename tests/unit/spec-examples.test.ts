import { readdirSync } from 'node:fs';
import path from 'node:path';
import { createSpecAjv, pointerSegment } from '../../src/engine/ajv';
import { collectExtensionKeys, compileSpec, isObject } from '../../src/engine/compile';
import { readYamlFile } from '../../src/engine/yaml-file';

const dir = path.join(__dirname, '../../openapi');
const specs = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

interface ExampleCase {
  where: string;
  schemaPointer: string;
  value: unknown;
}

/** Every example in a spec: media-type and parameter examples, and examples inside schemas. */
function examplesOf(doc: Record<string, unknown>): ExampleCase[] {
  const cases: ExampleCase[] = [];
  const deref = (v: unknown): unknown => {
    if (isObject(v) && typeof v.$ref === 'string') {
      return v.$ref
        .slice(2)
        .split('/')
        .reduce<unknown>((n, k) => (isObject(n) ? n[k.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), doc);
    }
    return v;
  };
  const walk = (node: unknown, pointer: string): void => {
    if (Array.isArray(node)) return node.forEach((v, i) => walk(v, `${pointer}/${i}`));
    if (!isObject(node)) return;
    const holdsSchema = 'schema' in node && isObject(node.schema);
    if (holdsSchema && node.example !== undefined) cases.push({ where: `${pointer}/example`, schemaPointer: `${pointer}/schema`, value: node.example });
    if (holdsSchema && isObject(node.examples)) {
      for (const [name, ex] of Object.entries(node.examples)) {
        const value = (deref(ex) as { value?: unknown }).value;
        cases.push({ where: `${pointer}/examples/${name}`, schemaPointer: `${pointer}/schema`, value });
      }
    }
    const isSchema = !holdsSchema && ('type' in node || 'allOf' in node || 'oneOf' in node || '$ref' in node || 'const' in node);
    if (isSchema && node.example !== undefined) cases.push({ where: `${pointer}/example`, schemaPointer: pointer, value: node.example });
    if (isSchema && Array.isArray(node.examples)) {
      node.examples.forEach((value, i) => cases.push({ where: `${pointer}/examples/${i}`, schemaPointer: pointer, value }));
    }
    for (const [k, v] of Object.entries(node)) if (k !== 'example' && k !== 'examples') walk(v, `${pointer}/${pointerSegment(k)}`);
  };
  walk(doc.paths, '/paths');
  walk(doc.components, '/components');
  return cases;
}

describe.each(specs)('openapi/%s', (file) => {
  const doc = readYamlFile(path.join(dir, file), 'spec').data as Record<string, unknown>;

  it('compiles in the engine', () => {
    expect(compileSpec(doc, file, `spec:${file}`).operations.length).toBeGreaterThan(0);
  });

  const cases = examplesOf(doc);
  const ajv = createSpecAjv('spec:x', doc, collectExtensionKeys(doc));
  it('has examples', () => expect(cases.length).toBeGreaterThan(0));

  it.each(cases.map((c) => [c.where, c] as const))('example %s validates against its schema', (_where, c) => {
    const validate = ajv.compile({ $ref: `spec:x#${c.schemaPointer}` });
    const ok = validate(c.value);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });
});
