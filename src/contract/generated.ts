/**
 * `verify --generated N`: negative checks derived from each operation's schema in the API's spec. A
 * required field removed, a wrong type, an extra field where `additionalProperties: false`, an
 * oversized string, a malformed JSON body, a missing or garbled `Authorization`: each must get a
 * 4xx status the spec documents for the operation, in the documented error body (every response
 * is held to the spec by the runner), never a 5xx or a hang.
 *
 * The cases are drawn by fast-check from a seed, so a failing run is re-run exactly with `--seed`.
 * Every (operation, kind of mutation) pair comes first, in an order the seed shuffles; the rest of
 * the N are drawn at random from the same pairs with fresh values.
 */
import path from 'node:path';
import fc from 'fast-check';
import { readYamlFile } from '../engine/yaml-file';
import { defaultSpecDir } from '../paths';
import type { CheckSpec, Expectation, RequestStep } from './flow-types';
import type { LoadedCheck } from './load-flows';

type Json = Record<string, unknown>;
type Mutation = 'missing-required' | 'wrong-type' | 'extra-field' | 'oversized-string' | 'malformed-json' | 'missing-auth' | 'garbled-auth';

interface Operation {
  operationId: string;
  method: string;
  path: string;
  /** The documented 4xx statuses: what a bad request may get. */
  errors: number[];
  /** The JSON body's object schema (first alternative of a oneOf/anyOf), when there is one. */
  body?: { schema: Json; example?: Json };
  /** How the operation is authorised, when it must be. */
  auth?: 'bearer' | 'basic';
}

interface Case {
  op: Operation;
  mutation: Mutation;
  /** The request step that sends it. */
  step: RequestStep;
  what: string;
}

/** The seed to use when none is given: printed, so the run can be repeated. */
export function newSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}

/**
 * One value of `arb` for `seed`. Steps are templates: a value holding `${` would be read as a
 * placeholder (and a correct server fail the check), so none is drawn.
 */
export function drawn<T>(arb: fc.Arbitrary<T>, seed: number, clean = (v: T) => !(JSON.stringify(v) ?? '').includes('${')): T {
  return fc.sample(arb.filter(clean), { numRuns: 1, seed })[0]!;
}

/** `count` generated checks for `api` from its spec, drawn from `seed`. */
export function generatedChecks(api: string, count: number, seed: number, specDir = defaultSpecDir): LoadedCheck[] {
  const file = path.join(specDir, `${api}.yaml`);
  const ops = operationsOf(readYamlFile(file, 'the OpenAPI spec').data as Json);
  const pairs = ops.flatMap((op) => mutationsOf(op).map((mutation) => ({ op, mutation })));
  if (pairs.length === 0 || count <= 0) return [];
  const order = fc.sample(fc.shuffledSubarray(pairs, { minLength: pairs.length, maxLength: pairs.length }), { numRuns: 1, seed })[0]!;
  const extra = count > order.length ? fc.sample(fc.nat({ max: order.length - 1 }), { numRuns: count - order.length, seed: seed + 1 }) : [];
  const cases: Case[] = [];
  for (let n = 0; n < count; n++) {
    const pair = n < order.length ? order[n]! : order[extra[n - order.length]!]!;
    cases.push(makeCase(pair.op, pair.mutation, seed + n));
  }
  const width = String(count).length;
  return cases.map((c, n) => {
    const id = `generated.${String(n + 1).padStart(width, '0')}.${kebab(c.op.operationId)}.${c.mutation}`;
    const spec: CheckSpec = {
      id,
      title: `${c.op.method} ${c.op.path} with ${c.what} gets a documented 4xx (${c.op.errors.join(', ')})`,
      kind: 'negative',
      steps: [c.step],
    };
    return { id: `${api}.${id}`, file, spec };
  });
}

function makeCase(op: Operation, mutation: Mutation, seed: number): Case {
  const expect: Expectation = { status: op.errors };
  const base = op.body ? baseBody(op.body, seed) : undefined;
  const step = (what: string, body: string | undefined, headers: Record<string, string> = {}): Case => ({
    op,
    mutation,
    what,
    step: {
      name: what,
      request: `${op.method} ${op.path}`,
      ...(body !== undefined ? { raw: body, contentType: 'application/json' } : {}),
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
      cookies: false,
      expect,
      fail: `${op.operationId} did not refuse ${what} with a documented 4xx`,
    },
  });
  const authHeaders: Record<string, string> = op.auth === 'basic' ? { authorization: `Basic ${Buffer.from('verify:generated').toString('base64')}` } : op.auth ? { authorization: 'Bearer verify-generated-token' } : {};
  const props = (op.body?.schema.properties ?? {}) as Record<string, Json>;
  const required = (op.body?.schema.required ?? []) as string[];
  const draw = <T>(arb: fc.Arbitrary<T>): T => drawn(arb, seed);
  switch (mutation) {
    case 'missing-required': {
      const field = draw(fc.constantFrom(...required));
      const body = { ...base };
      delete body[field];
      return step(`no "${field}" (required)`, JSON.stringify(body), authHeaders);
    }
    case 'wrong-type': {
      const typed = Object.keys(props).filter((k) => typeof props[k]!.type === 'string');
      const field = draw(fc.constantFrom(...typed));
      const value = draw(wrongTypeOf(String(props[field]!.type)));
      return step(`"${field}" as ${JSON.stringify(value)} (not ${String(props[field]!.type)})`, JSON.stringify({ ...base, [field]: value }), authHeaders);
    }
    case 'extra-field': {
      const name = `verify-extra-${draw(fc.stringMatching(/^[a-z]{1,8}$/))}`;
      return step(`an extra field "${name}" (additionalProperties: false)`, JSON.stringify({ ...base, [name]: draw(fc.oneof(fc.string(), fc.integer(), fc.boolean())) }), authHeaders);
    }
    case 'oversized-string': {
      const bounded = Object.keys(props).filter((k) => typeof props[k]!.maxLength === 'number');
      const field = draw(fc.constantFrom(...bounded));
      const max = Number(props[field]!.maxLength);
      const length = max + 1 + draw(fc.nat({ max: 64 }));
      return step(`"${field}" of ${length} characters (maxLength ${max})`, JSON.stringify({ ...base, [field]: 'a'.repeat(length) }), authHeaders);
    }
    case 'malformed-json': {
      const valid = JSON.stringify(base ?? {});
      const broken = draw(
        fc.oneof(
          fc.nat({ max: Math.max(0, valid.length - 2) }).map((n) => valid.slice(0, n + 1)),
          fc.constantFrom('{"', '{', '{"a":}', '[1,', "{'a': 1}", '{"a": 1,}', 'nul', '"unterminated'),
        ),
      );
      return step(`a malformed JSON body ${JSON.stringify(broken.slice(0, 40))}`, broken, authHeaders);
    }
    case 'missing-auth':
      return step('no Authorization', base === undefined ? undefined : JSON.stringify(base));
    case 'garbled-auth': {
      const header = draw(
        fc.oneof(
          fc.constantFrom('Bearer', 'Bearer ', 'Basic', 'Basic !!!', 'Token abc', 'bearer', 'Bearer a b c'),
          fc.stringMatching(/^[A-Za-z0-9._~+/=-]{1,40}$/),
          fc.stringMatching(/^[A-Za-z0-9._~+/=-]{1,40}$/).map((s) => `Bearer ${s}.${s}`),
        ),
      );
      return step(`Authorization ${JSON.stringify(header)}`, base === undefined ? undefined : JSON.stringify(base), { authorization: header });
    }
  }
}

function wrongTypeOf(type: string): fc.Arbitrary<unknown> {
  const all: Record<string, fc.Arbitrary<unknown>> = {
    string: fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 }), fc.constant({})),
    number: fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.constant({})),
    integer: fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.double({ min: 0.1, max: 0.9 })),
    boolean: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
    object: fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant([])),
    array: fc.oneof(fc.string(), fc.integer(), fc.constant({})),
  };
  return all[type] ?? fc.constant(null);
}

/** Which mutations an operation has room for. */
function mutationsOf(op: Operation): Mutation[] {
  const out: Mutation[] = [];
  if (op.body) {
    const props = (op.body.schema.properties ?? {}) as Record<string, Json>;
    if (((op.body.schema.required ?? []) as string[]).length > 0) out.push('missing-required');
    if (Object.values(props).some((p) => typeof p.type === 'string')) out.push('wrong-type');
    if (op.body.schema.additionalProperties === false) out.push('extra-field');
    if (Object.values(props).some((p) => typeof p.maxLength === 'number')) out.push('oversized-string');
    out.push('malformed-json');
  }
  if (op.auth) out.push('missing-auth', 'garbled-auth');
  return out;
}

/** A body that is valid as far as types go: the spec's example, else one value per required field. */
function baseBody(body: NonNullable<Operation['body']>, seed: number): Json {
  if (body.example) return { ...body.example };
  const props = (body.schema.properties ?? {}) as Record<string, Json>;
  const out: Json = {};
  for (const name of (body.schema.required ?? []) as string[]) out[name] = valueOf(props[name] ?? {}, seed);
  return out;
}

function valueOf(schema: Json, seed: number): unknown {
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  switch (schema.type) {
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'object':
      return {};
    default:
      return schema.format === 'email' ? `verify-${seed}@example.com` : `verify-${seed}`;
  }
}

/** The operations of a spec, with what generation needs, `$ref`s resolved. */
function operationsOf(doc: Json): Operation[] {
  const resolve = (value: unknown, depth = 0): Json => {
    const v = (value ?? {}) as Json;
    if (typeof v.$ref === 'string' && v.$ref.startsWith('#/') && depth < 20) {
      const target = v.$ref.slice(2).split('/').reduce<unknown>((o, k) => (o as Json | undefined)?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
      return resolve(target, depth + 1);
    }
    return v;
  };
  const globalSecurity = doc.security as Array<Json> | undefined;
  const schemes = ((doc.components as Json | undefined)?.securitySchemes ?? {}) as Record<string, unknown>;
  const ops: Operation[] = [];
  for (const [pathTemplate, item] of Object.entries((doc.paths ?? {}) as Record<string, Json>)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch']) {
      const op = item[method] as Json | undefined;
      if (!op || op['x-authdouble-extension'] === true) continue;
      const errors = Object.keys((op.responses ?? {}) as Json).filter((s) => /^4\d\d$/.test(s)).map(Number);
      if (errors.length === 0) continue;
      const security = (op.security ?? globalSecurity ?? []) as Array<Json>;
      const required = security.length > 0 && security.every((alt) => Object.keys(alt).length > 0);
      const scheme = required ? resolve(schemes[Object.keys(security[0]!)[0]!]) : undefined;
      const auth = scheme?.type === 'http' ? (String(scheme.scheme).toLowerCase() === 'basic' ? 'basic' : 'bearer') : undefined;
      const media = ((resolve(op.requestBody).content ?? {}) as Record<string, Json>)['application/json'];
      let body: Operation['body'];
      if (media?.schema) {
        let schema = resolve(media.schema);
        const alternatives = (schema.oneOf ?? schema.anyOf) as unknown[] | undefined;
        if (Array.isArray(alternatives) && alternatives.length > 0) schema = resolve(alternatives[0]);
        const example = media.example && typeof media.example === 'object' && !Array.isArray(media.example) ? (media.example as Json) : undefined;
        if (schema.type === 'object' || schema.properties) body = { schema: { ...schema, properties: Object.fromEntries(Object.entries((schema.properties ?? {}) as Json).map(([k, v]) => [k, resolve(v)])) }, example };
      }
      const path = pathTemplate.replace(/\{[^}]+\}/g, 'verify-generated');
      ops.push({ operationId: String(op.operationId ?? `${method}${pathTemplate}`), method: method.toUpperCase(), path, errors, body, auth });
    }
  }
  return ops;
}

function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'op';
}
