import path from 'node:path';
import fc from 'fast-check';
import { compileSpec, type CompiledOperation, type SecurityScheme } from '../../../src/engine/compile';
import { readYamlFile } from '../../../src/engine/yaml-file';
import { MANGLES, Ref } from './pools';
import { propertyNames, resolve, schemaArbitrary } from './schema-arbitrary';
import { binary, graphemes } from './unicode';

/** A request as generated: Refs stand for live values, resolved when it is sent. */
export interface FuzzRequest {
  /** What kind of request this is, for failure messages. */
  label: string;
  operationId: string;
  method: string;
  /** Inside the API, e.g. `/api/v2/signin`. */
  path: string;
  /** '' or `?...`: raw, possibly malformed. */
  query: string;
  /** Documented query parameters (name, value), encoded and added to `query` when sent. */
  params: Array<[string, unknown]>;
  headers: Record<string, Array<string | Ref>>;
  body?: BodySpec;
}

export type BodySpec =
  | { kind: 'value'; value: unknown; encoding: 'json' | 'form' }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; bytes: Uint8Array }
  /** `text` sent gzip-compressed with `Content-Encoding: gzip`. */
  | { kind: 'gzip'; text: string };

/** What an API's fuzz run knows beyond its spec: which pools feed which fields and credentials. */
export interface FuzzDictionary {
  /** Property name → pools whose values fit it (fixture e-mails, live refresh tokens, ...). */
  fields: Record<string, string[]>;
  /** Pools for `Authorization: Bearer`. */
  bearer?: string[];
  /** Pool of `user:password` strings for `Authorization: Basic`. */
  basic?: string[];
  /** Pools for apiKey credentials, by the scheme's parameter name (`authorization`, `refresh_token`). */
  apiKey?: Record<string, string[]>;
}

export interface SpecOperations {
  doc: unknown;
  operations: CompiledOperation[];
}

const root = path.resolve(__dirname, '../../..');

/** The API's spec, compiled as the server compiles it, and the raw document for its schemas. */
export function loadSpec(api: string): SpecOperations {
  const file = path.join(root, 'openapi', `${api}.yaml`);
  const doc = readYamlFile(file, 'the OpenAPI spec').data;
  return { doc, operations: compileSpec(doc, file, `fuzz:${api}`, { responses: false }).operations };
}

/** Requests for every operation of the spec: mostly valid ones, and mutations of every kind. */
export function requestArbitrary(spec: SpecOperations, dict: FuzzDictionary): fc.Arbitrary<FuzzRequest> {
  return fc.oneof(...spec.operations.map((op) => operationRequest(spec, op, dict)));
}

const DANGEROUS_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];
const OTHER_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];

function operationRequest(spec: SpecOperations, op: CompiledOperation, dict: FuzzDictionary): fc.Arbitrary<FuzzRequest> {
  const refFor = (field: string) => {
    const pools = dict.fields[field];
    return pools ? refArbitrary(pools) : undefined;
  };
  const media = op.requestBody ? [...op.requestBody.media.keys()] : [];
  const bodySchema = media.length > 0 ? requestBodySchema(spec.doc, op, media[0]!) : undefined;
  const valid = bodySchema ? schemaArbitrary(bodySchema, { doc: spec.doc, hint: refFor }) : fc.constant({});
  const names = bodySchema ? propertyNames(bodySchema, spec.doc) : [];

  const body: fc.Arbitrary<{ label: string; body?: BodySpec; contentType?: string; encoding?: string }> = op.requestBody
    ? fc.oneof(
        { weight: 5, arbitrary: valid.map((value) => ({ label: 'valid body', value })) },
        { weight: 6, arbitrary: mutatedValue(valid, names, dict) },
      ).chain(({ label, value }) =>
        fc
          .tuple(contentTypeArbitrary(media), fc.nat(9))
          .map(([contentType, mismatch]) => {
            const encoding: 'json' | 'form' = contentType.includes('form') !== (mismatch === 0) ? 'form' : 'json';
            return { label: `${label} as ${encoding}`, body: { kind: 'value' as const, value, encoding }, contentType };
          }),
      )
    : fc.constant({ label: 'no body' });
  const rawBody = fc.tuple(rawBodyArbitrary(), contentTypeArbitrary(media.length > 0 ? media : ['application/json'])).map(
    ([raw, contentType]) => ({ label: raw.label, body: raw.body, contentType, encoding: raw.encoding }),
  );

  return fc
    .record({
      method: fc.oneof({ weight: 30, arbitrary: fc.constant(op.method) }, { weight: 1, arbitrary: fc.constantFrom(...OTHER_METHODS.filter((m) => m !== op.method)) }),
      trailingSlash: fc.nat(19).map((n) => n === 0),
      query: queryArbitrary(),
      params: documentedQuery(spec, op, refFor),
      credentials: credentialsArbitrary(op.security, dict),
      body: fc.oneof({ weight: 4, arbitrary: body }, { weight: 1, arbitrary: rawBody }),
      session: fc.oneof(
        { weight: 12, arbitrary: fc.constant(undefined) },
        { weight: 2, arbitrary: fc.constantFrom('fuzz-a', 'fuzz-b') },
        { weight: 1, arbitrary: graphemes(1, 40) },
      ),
      extraHeaders: extraHeadersArbitrary(),
    })
    .map(({ method, trailingSlash, query, params, credentials, body: b, session, extraHeaders }) => {
      const headers: Record<string, Array<string | Ref>> = { ...extraHeaders, ...credentials.headers };
      if (b.contentType !== undefined) headers['content-type'] = [b.contentType];
      if (b.encoding !== undefined) headers['content-encoding'] = [b.encoding];
      if (b.body?.kind === 'gzip') headers['content-encoding'] = ['gzip'];
      if (session !== undefined) headers['x-authdouble-session'] = [session];
      return {
        label: `${credentials.label}; ${b.label}${query ? '; query' : ''}`,
        operationId: op.operationId,
        method,
        path: expandPath(op.pathTemplate) + (trailingSlash ? '/' : ''),
        query,
        params,
        headers,
        body: b.body,
      };
    });
}

/** Some of the operation's documented query parameters, with valid or hostile values. */
function documentedQuery(spec: SpecOperations, op: CompiledOperation, refFor: (field: string) => fc.Arbitrary<Ref> | undefined): fc.Arbitrary<Array<[string, unknown]>> {
  const item = resolve((resolve(spec.doc, spec.doc).paths as Record<string, unknown>)[op.pathTemplate], spec.doc);
  const operation = resolve(item[op.method.toLowerCase()], spec.doc);
  const params = [...((item.parameters as unknown[]) ?? []), ...((operation.parameters as unknown[]) ?? [])]
    .map((p) => resolve(p, spec.doc))
    .filter((p) => p.in === 'query' && typeof p.name === 'string');
  if (params.length === 0) return fc.constant([]);
  const value = (p: Record<string, unknown>): fc.Arbitrary<unknown> => {
    const hinted = refFor(p.name as string);
    const valid = schemaArbitrary(p.schema ?? {}, { doc: spec.doc });
    return fc.oneof({ weight: 4, arbitrary: hinted ? fc.oneof(valid, hinted) : valid }, { weight: 1, arbitrary: nastyString() });
  };
  return fc
    .tuple(...params.map((p) => fc.option(value(p), { nil: undefined, freq: 2 })))
    .map((values) => values.flatMap((v, i): Array<[string, unknown]> => (v === undefined ? [] : [[params[i]!.name as string, v]])));
}

function requestBodySchema(doc: unknown, op: CompiledOperation, mediaType: string): unknown {
  const item = resolve((resolve(doc, doc).paths as Record<string, unknown>)[op.pathTemplate], doc);
  const operation = resolve(item[op.method.toLowerCase()], doc);
  const requestBody = resolve(operation.requestBody, doc);
  const content = (requestBody.content ?? {}) as Record<string, { schema?: unknown }>;
  const entry = Object.entries(content).find(([type]) => type.toLowerCase() === mediaType);
  return entry?.[1].schema;
}

function expandPath(template: string): string {
  return template.replace(/\{[^}]+\}/g, () => 'x');
}

/** A Ref to one of `pools`, as is (mostly) or mangled (truncated JWT, flipped character, ...). */
export function refArbitrary(pools: string[], encode: 'none' | 'base64' = 'none'): fc.Arbitrary<Ref> {
  return fc
    .tuple(fc.constantFrom(...pools), fc.nat(1000), fc.oneof({ weight: 3, arbitrary: fc.constant('none' as const) }, { weight: 1, arbitrary: fc.constantFrom(...MANGLES) }))
    .map(([pool, index, mangle]) => new Ref(pool, index, mangle, encode));
}

/** Strings that break naive parsers: unicode of every kind, lone surrogates, control characters. */
export function nastyString(): fc.Arbitrary<string> {
  return NASTY;
}

const NASTY: fc.Arbitrary<string> = fc.oneof(
  graphemes(0, 40),
  binary(40),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\ud800',
    '\udfff\ud800',
    '\u202e\u0041\u0042',
    '\u200b',
    '\ufeff',
    'ﷺ',
    '👩‍👩‍👧‍👦',
    'a\r\nb',
    '%00',
    '%E0%A4%A',
    '../../etc/passwd',
    '${jndi:ldap://x}',
    "' OR 1=1 --",
    '<script>alert(1)</script>',
    'null',
    'undefined',
    'NaN',
    '__proto__',
  ),
);

/** A value of the wrong type (or a right-typed but hostile one) for any field. */
function hostileValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.jsonValue({ maxDepth: 3 }),
    fc.array(fc.string(), { maxLength: 3 }),
    nastyString(),
    fc.constantFrom(300, 5_000, 60_000, 150_000).map((n) => 'x'.repeat(n)),
    fc.constantFrom(100, 2_000).map((n) => 'é'.repeat(n)),
    // Deeper nesting goes in as text (rawBodyArbitrary): building it as objects would overflow the test's own stack.
    fc.nat({ max: 800 }).map((depth) => nested(depth)),
    fc.constantFrom('not base64!', '====', 'YQ', 'zz', 'abc', 'g'.repeat(64), '0'.repeat(127), '0x' + 'ab'.repeat(32)),
  );
}

/** `{"a":{"a":...}}`, `depth` deep. */
function nested(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { a: value } : [value];
  return value;
}

/** A valid body with one or more mutations applied. */
function mutatedValue(valid: fc.Arbitrary<unknown>, names: string[], dict: FuzzDictionary): fc.Arbitrary<{ label: string; value: unknown }> {
  const fieldName = names.length > 0 ? fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) }) : fc.string({ maxLength: 12 });
  const poolRefs = Object.values(dict.fields).flat();
  const mutation = fc.oneof(
    fieldName.map((name) => ({ label: `missing ${name}`, apply: (o: Record<string, unknown>) => void delete o[name] })),
    fc.tuple(fc.oneof(fc.constantFrom(...DANGEROUS_KEYS), fc.string({ maxLength: 12 })), hostileValue()).map(([name, value]) => ({
      label: `extra field ${JSON.stringify(name)}`,
      apply: (o: Record<string, unknown>) => define(o, name, value),
    })),
    fc.tuple(fieldName, hostileValue()).map(([name, value]) => ({
      label: `hostile ${name}`,
      apply: (o: Record<string, unknown>) => define(o, name, value),
    })),
    fc.constantFrom(
      { polluted: 'yes' },
      { prototype: { polluted: 'yes' } },
      { toString: 'not a function' },
    ).chain((payload) =>
      fc.constantFrom('__proto__', 'constructor').map((key) => ({
        label: `prototype payload in ${key}`,
        apply: (o: Record<string, unknown>) => define(o, key, payload),
      })),
    ),
    ...(poolRefs.length > 0 && names.length > 0
      ? [
          fc.tuple(fc.constantFrom(...names), refArbitrary(poolRefs)).map(([name, ref]) => ({
            label: `${name} from another pool`,
            apply: (o: Record<string, unknown>) => define(o, name, ref),
          })),
        ]
      : []),
  );
  return fc.oneof(
    { weight: 8, arbitrary: fc.tuple(valid, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([value, mutations]) => {
      const target: Record<string, unknown> = isPlainObject(value) ? { ...value } : {};
      for (const m of mutations) m.apply(target);
      return { label: mutations.map((m) => m.label).join(', '), value: target };
    }) },
    { weight: 1, arbitrary: hostileValue().map((value) => ({ label: 'body of the wrong type', value })) },
  );
}

function define(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Bodies that are not what any content type promises. */
function rawBodyArbitrary(): fc.Arbitrary<{ label: string; body: BodySpec; encoding?: string }> {
  const text = (label: string, t: fc.Arbitrary<string>) => t.map((s) => ({ label, body: { kind: 'text' as const, text: s } }));
  return fc.oneof(
    text(
      'broken JSON',
      fc.constantFrom(
        '{',
        '{"email":',
        '{"a":1,}',
        "{'a':1}",
        '[1,2',
        'nul',
        'NaN',
        '1e400',
        '-0',
        '123456789012345678901234567890',
        '"just a string"',
        'null',
        '[]',
        'true',
        '{}',
        '\ufeff{}',
        '{"a":"\\ud800"}',
        '{"a":"\\u0000"}',
        '{"email":"a","email":1}',
        '{"__proto__":{"polluted":"yes"}}',
        '{"constructor":{"prototype":{"polluted":"yes"}}}',
        '   ',
        '\u0000\u0000',
      ),
    ),
    text('random text', graphemes(0, 200)),
    text('form-like text', fc.constantFrom('a=b&c', '=', '&&&', 'email=%E0%A4%A&password=x', '__proto__[polluted]=yes', 'constructor[prototype][polluted]=yes')),
    fc.constantFrom(1_000, 20_000, 49_000).map((depth) => ({ label: `${depth}-deep array`, body: { kind: 'text' as const, text: '['.repeat(depth) + ']'.repeat(depth) } })),
    fc.constantFrom(1_000, 15_000).map((depth) => ({ label: `${depth}-deep object`, body: { kind: 'text' as const, text: '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) } })),
    fc.tuple(fc.constantFrom('email', 'password', 'refreshToken', 'token', 'username', 'device_id', 'client', 'grant_type'), fc.constantFrom(5_000, 40_000)).map(([field, depth]) => ({
      label: `${field} ${depth} deep`,
      body: { kind: 'text' as const, text: `{"${field}":${'['.repeat(depth)}${']'.repeat(depth)},"password":"x"}` },
    })),
    fc.constantFrom(110_000, 300_000).map((n) => ({ label: `${n}-byte body`, body: { kind: 'text' as const, text: `{"email":"${'x'.repeat(n)}"}` } })),
    fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ label: 'random bytes', body: { kind: 'bytes' as const, bytes } })),
    fc.constantFrom('{"email":"a@b.c","password":"x"}', 'x'.repeat(5_000_000)).map((text) => ({ label: `gzip of ${text.length} bytes`, body: { kind: 'gzip' as const, text } })),
    fc.tuple(fc.uint8Array({ maxLength: 64 }), fc.constantFrom('gzip', 'deflate', 'br', 'compress', 'identity', 'x-unknown')).map(([bytes, encoding]) => ({
      label: `garbage with Content-Encoding ${encoding}`,
      body: { kind: 'bytes' as const, bytes },
      encoding,
    })),
  );
}

function contentTypeArbitrary(documented: string[]): fc.Arbitrary<string> {
  const right = fc.constantFrom(...documented);
  return fc.oneof(
    { weight: 16, arbitrary: right },
    { weight: 2, arbitrary: right.map((t) => `${t}; charset=utf-8`) },
    { weight: 1, arbitrary: right.map((t) => t.toUpperCase()) },
    { weight: 1, arbitrary: right.map((t) => `${t}; charset=latin1`) },
    { weight: 1, arbitrary: right.map((t) => `${t}; charset=utf-16`) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        'text/plain',
        'application/xml',
        'multipart/form-data; boundary=x',
        'application/octet-stream',
        'application/vnd.api+json',
        'application/x-www-form-urlencoded',
        'application/json',
        '*/*',
        'a/b/c;;;',
        ';',
        'application/json; charset="',
      ),
    },
  );
}

function queryArbitrary(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 10, arbitrary: fc.constant('') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '?a=1',
        '?__proto__[polluted]=yes',
        '?constructor[prototype][polluted]=yes',
        '?%',
        '?%E0%A4%A=1',
        '?a[b][c][d][e]=1',
        '?a=1&a=2&a=3',
        `?${'q'.repeat(4000)}=1`,
        '?email=foo@bar.com',
      ),
    },
  );
}

function extraHeadersArbitrary(): fc.Arbitrary<Record<string, Array<string | Ref>>> {
  type Headers = Record<string, Array<string | Ref>>;
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant<Headers>({}) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('accept', 'x-forwarded-for', 'origin', 'x-requested-with', 'accept-language', 'if-none-match'), nastyString())
        .map(([name, value]): Headers => ({ [name]: [value] })),
    },
    { weight: 1, arbitrary: fc.constant<Headers>({ accept: ['text/html'] }) },
  );
}

interface Credentials {
  label: string;
  headers: Record<string, Array<string | Ref>>;
}

/** Credentials for an operation's security: the documented ones, live or mangled, or garbage. */
function credentialsArbitrary(security: SecurityScheme[][], dict: FuzzDictionary): fc.Arbitrary<Credentials> {
  const schemes = [...new Map(security.flat().map((s) => [s.name, s])).values()];
  const none = fc.constant<Credentials>({ label: 'no credentials', headers: {} });
  if (schemes.length === 0) {
    return fc.oneof({ weight: 8, arbitrary: none }, { weight: 1, arbitrary: bearerArbitrary(dict.bearer ?? ['none']) });
  }
  const each = schemes.map((scheme) => schemeArbitrary(scheme, dict));
  return fc.oneof(
    { weight: 1, arbitrary: none },
    { weight: 6, arbitrary: fc.oneof(...each) },
    // Several at once: bearer and cookie together, say.
    { weight: 2, arbitrary: fc.tuple(...each).map((all) => ({ label: all.map((c) => c.label).join(' + '), headers: Object.assign({}, ...all.map((c) => c.headers)) as Credentials['headers'] })) },
  );
}

function schemeArbitrary(scheme: SecurityScheme, dict: FuzzDictionary): fc.Arbitrary<Credentials> {
  switch (scheme.kind) {
    case 'bearer':
      return bearerArbitrary(dict.bearer ?? ['none']);
    case 'basic':
      return basicArbitrary(dict.basic ?? ['none']);
    case 'apiKey': {
      const pools = dict.apiKey?.[scheme.param] ?? ['none'];
      if (scheme.in === 'cookie') return cookieArbitrary(scheme.param, pools);
      const value = fc.oneof(
        { weight: 4, arbitrary: refArbitrary(pools).map((r) => ({ label: `${scheme.param} ${r}`, parts: [r] as Array<string | Ref> })) },
        { weight: 2, arbitrary: refArbitrary(pools).map((r) => ({ label: `${scheme.param} Bearer ${r}`, parts: ['Bearer ', r] as Array<string | Ref> })) },
        { weight: 1, arbitrary: headerGarbage().map((g) => ({ label: `${scheme.param} garbage`, parts: [g] as Array<string | Ref> })) },
      );
      return value.map(({ label, parts }) => ({ label, headers: { [scheme.param]: parts } }));
    }
  }
}

function bearerArbitrary(pools: string[]): fc.Arbitrary<Credentials> {
  return fc.oneof(
    { weight: 6, arbitrary: refArbitrary(pools).map((r) => ({ label: `Bearer ${r}`, headers: { authorization: ['Bearer ', r] } })) },
    {
      weight: 1,
      arbitrary: refArbitrary(pools).chain((r) =>
        fc.constantFrom<Array<string | Ref>>(['bearer ', r], ['BEARER  ', r], ['Bearer ', r, ' extra'], ['Basic ', r], [r], ['Bearer\t', r]).map((parts) => ({
          label: `odd Bearer ${parts.map(String).join('')}`,
          headers: { authorization: parts },
        })),
      ),
    },
    {
      weight: 2,
      arbitrary: fc
        .oneof(
          headerGarbage(),
          fc.constantFrom('Bearer', 'Bearer ', 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.', 'Bearer a.b.c', `Bearer ${'a'.repeat(8000)}`, 'Bearer null', 'Negotiate abc'),
        )
        .map((value) => ({ label: `bad Bearer ${JSON.stringify(value.slice(0, 40))}`, headers: { authorization: [value] } })),
    },
  );
}

function basicArbitrary(pools: string[]): fc.Arbitrary<Credentials> {
  return fc.oneof(
    { weight: 6, arbitrary: refArbitrary(pools, 'base64').map((r) => ({ label: `Basic ${r}`, headers: { authorization: ['Basic ', r] } })) },
    {
      weight: 3,
      arbitrary: fc
        .oneof(
          fc.constantFrom('Basic', 'Basic ', 'Basic !!!', 'Basic ====', 'Basic YQ', 'Basic YWJj', 'basic YTpi', 'Basic YTpi YTpi', 'Basic Og==', 'Basic OjpkOjo=', `Basic ${'QUFB'.repeat(3000)}`),
          nastyString().map((s) => `Basic ${Buffer.from(s, 'utf8').toString('base64')}`),
          nastyString().map((s) => `Basic ${Buffer.from(`${s}:${s}`, 'utf8').toString('base64').replace(/=+$/, '')}`),
          headerGarbage(),
        )
        .map((value) => ({ label: `bad Basic ${JSON.stringify(value.slice(0, 40))}`, headers: { authorization: [value] } })),
    },
  );
}

function cookieArbitrary(name: string, pools: string[]): fc.Arbitrary<Credentials> {
  return fc.oneof(
    { weight: 5, arbitrary: refArbitrary(pools).map((r) => ({ label: `cookie ${name}=${r}`, headers: { cookie: [`${name}=`, r] } })) },
    {
      weight: 1,
      arbitrary: refArbitrary(pools).map((r) => ({ label: `cookie ${name} twice`, headers: { cookie: [`other=1; ${name}=`, r, `; ${name}=second`] } })),
    },
    {
      weight: 3,
      arbitrary: fc
        .oneof(
          fc.constantFrom(
            `${name}=`,
            `${name}="unterminated`,
            `${name}=%E0%A4%A`,
            `${name}=%00`,
            ';;;',
            '=x',
            '==',
            `__proto__=x; constructor=y; ${name}=z`,
            `${name}=${'c'.repeat(6000)}`,
            `${name}`,
          ),
          nastyString().map((s) => `${name}=${s}`),
        )
        .map((value) => ({ label: `bad cookie ${JSON.stringify(value.slice(0, 40))}`, headers: { cookie: [value] } })),
    },
  );
}

/** Header values of any printable kind (what Node lets a client send: Latin-1 without controls). */
function headerGarbage(): fc.Arbitrary<string> {
  return nastyString().map((s) => s);
}
