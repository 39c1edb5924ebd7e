import fc from 'fast-check';
import { graphemes } from './unicode';

type Schema = Record<string, unknown>;

/**
 * fast-check arbitraries of values valid against a JSON Schema of an OpenAPI document: the subset
 * the specs use (local $ref, allOf, oneOf/anyOf, const, enum, type lists, string length, pattern,
 * email / date-time / uuid formats, integers, objects with required and optional properties,
 * arrays). `hint(name)` may add, for a property of that name, values from the run's pools (fixture
 * credentials, live tokens), so valid requests also reach the behaviours.
 */
export interface SchemaArbitraryOptions {
  doc: unknown;
  hint?: (property: string) => fc.Arbitrary<unknown> | undefined;
}

export function schemaArbitrary(schema: unknown, options: SchemaArbitraryOptions, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema, options.doc);
  if (depth > 8) return fc.constant(null);
  if (s.const !== undefined) return fc.constant(s.const);
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
  if (Array.isArray(s.allOf)) return schemaArbitrary(mergeAll(s, options.doc), options, depth + 1);
  const alternatives = (s.oneOf ?? s.anyOf) as unknown[] | undefined;
  if (Array.isArray(alternatives)) {
    const { oneOf: _o, anyOf: _a, discriminator: _d, ...rest } = s;
    return fc.oneof(...alternatives.map((alt) => schemaArbitrary(merge(rest, resolve(alt, options.doc)), options, depth + 1)));
  }
  const types = Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === 'string' ? [s.type] : guessTypes(s);
  return fc.oneof(...types.map((type) => ofType(type, s, options, depth)));
}

function ofType(type: string, s: Schema, options: SchemaArbitraryOptions, depth: number): fc.Arbitrary<unknown> {
  switch (type) {
    case 'string':
      return stringOf(s);
    case 'integer':
      return fc.integer({ min: num(s.minimum) ?? -1e6, max: num(s.maximum) ?? 1e6 });
    case 'number':
      return fc.double({ min: num(s.minimum) ?? -1e9, max: num(s.maximum) ?? 1e9, noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(s.items ? schemaArbitrary(s.items, options, depth + 1) : fc.jsonValue({ maxDepth: 2 }), {
        minLength: num(s.minItems) ?? 0,
        maxLength: Math.min(num(s.maxItems) ?? 4, 4),
      });
    case 'object':
    default:
      return objectOf(s, options, depth);
  }
}

function objectOf(s: Schema, options: SchemaArbitraryOptions, depth: number): fc.Arbitrary<unknown> {
  const properties = (s.properties ?? {}) as Record<string, unknown>;
  const required = new Set((s.required ?? []) as string[]);
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, sub] of Object.entries(properties)) {
    const fromSchema = schemaArbitrary(sub, options, depth + 1);
    const hinted = options.hint?.(name);
    model[name] = hinted ? fc.oneof({ weight: 1, arbitrary: fromSchema }, { weight: 8, arbitrary: hinted }) : fromSchema;
  }
  return fc.record(model, { requiredKeys: [...required].filter((k) => k in model) });
}

function stringOf(s: Schema): fc.Arbitrary<string> {
  const min = num(s.minLength) ?? 0;
  const max = Math.min(num(s.maxLength) ?? 64, 64);
  const fits = (v: string) => v.length >= min && v.length <= (num(s.maxLength) ?? Infinity);
  if (typeof s.pattern === 'string') {
    try {
      return fc.stringMatching(new RegExp(s.pattern)).filter(fits);
    } catch {
      // A pattern fast-check cannot generate from (lookarounds): hints and mutations cover the field.
      return plainStrings(min, Math.max(min, max)).filter(fits);
    }
  }
  switch (s.format) {
    case 'email':
      return fc.emailAddress().filter(fits);
    case 'date-time':
      return fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
    case 'uuid':
      return fc.uuid();
    default:
      return plainStrings(min, Math.max(min, max)).filter(fits);
  }
}

const stringCache = new Map<string, fc.Arbitrary<string>>();
function plainStrings(minLength: number, maxLength: number): fc.Arbitrary<string> {
  const key = `${minLength}:${maxLength}`;
  let arbitrary = stringCache.get(key);
  if (!arbitrary) {
    arbitrary = fc.oneof(fc.string({ minLength, maxLength }), graphemes(minLength, maxLength));
    stringCache.set(key, arbitrary);
  }
  return arbitrary;
}

function guessTypes(s: Schema): string[] {
  if (s.properties || s.required || s.additionalProperties !== undefined) return ['object'];
  if (s.items) return ['array'];
  if (s.minLength !== undefined || s.maxLength !== undefined || s.pattern || s.format) return ['string'];
  return ['string', 'integer', 'boolean', 'null'];
}

/** Follows local `$ref`s. */
export function resolve(schema: unknown, doc: unknown): Schema {
  let current = schema;
  for (let hops = 0; hops < 20 && isObject(current) && typeof current.$ref === 'string'; hops++) {
    const ref = current.$ref;
    if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported, got ${ref}`);
    current = ref
      .slice(2)
      .split('/')
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), doc);
  }
  if (!isObject(current)) return {};
  return current;
}

function mergeAll(s: Schema, doc: unknown): Schema {
  const { allOf, ...rest } = s;
  return (allOf as unknown[]).reduce<Schema>((acc, part) => merge(acc, resolve(part, doc)), rest);
}

function merge(a: Schema, b: Schema): Schema {
  const out: Schema = { ...a, ...b };
  if (a.properties || b.properties) out.properties = { ...((a.properties as object) ?? {}), ...((b.properties as object) ?? {}) };
  if (a.required || b.required) out.required = [...((a.required as string[]) ?? []), ...((b.required as string[]) ?? [])];
  return out;
}

/** Every property name an object schema (or any of its alternatives) names. */
export function propertyNames(schema: unknown, doc: unknown, depth = 0): string[] {
  const s = resolve(schema, doc);
  if (depth > 6) return [];
  const own = Object.keys((s.properties ?? {}) as object);
  const nested = ['allOf', 'oneOf', 'anyOf'].flatMap((k) => (Array.isArray(s[k]) ? (s[k] as unknown[]) : []).flatMap((alt) => propertyNames(alt, doc, depth + 1)));
  return [...new Set([...own, ...nested])];
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
