import type { ValidateFunction } from 'ajv';
import type Ajv2020 from 'ajv/dist/2020';
import type { OpenAPIV3_1 } from 'openapi-types';
import { StartupError } from '../errors';
import { createSpecAjv, pointerSegment } from './ajv';
import type { MockResponse } from './types';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export type SecurityScheme =
  | { name: string; kind: 'bearer' }
  | { name: string; kind: 'basic' }
  | { name: string; kind: 'apiKey'; in: 'header' | 'query' | 'cookie'; param: string };

export interface ResponseSpec {
  /** Validators by media type; undefined where the media type has no schema. */
  media: Map<string, ValidateFunction | undefined>;
  /** Names of the response headers the spec documents (a browser page may read them: see cors.ts). */
  headers: string[];
}

export interface CompiledOperation {
  operationId: string;
  method: string;
  pathTemplate: string;
  regex: RegExp;
  paramNames: string[];
  /** Validates `{path, query, header, cookie}` (with type coercion); undefined without parameters. */
  validateParams?: ValidateFunction;
  /** Names of the header parameters, lower case, so that only those are validated. */
  headerParams: string[];
  requestBody?: {
    required: boolean;
    media: Map<string, ValidateFunction | undefined>;
    /**
     * From the requestBody's `x-authdouble-json-when-labelled`: media types under which a body that
     * parses as JSON is read as the operation's `application/json` body (e.g. what `curl --data`
     * labels `application/x-www-form-urlencoded`).
     */
    jsonWhenLabelled: Set<string>;
  };
  /** Alternatives: any one satisfied is enough. Empty: no security. An empty alternative: optional. */
  security: SecurityScheme[][];
  responses: Map<string, ResponseSpec>;
  /** The first 2xx example, served when the operation has no behaviour. */
  example?: MockResponse;
}

export interface CompiledSpec {
  file: string;
  title: string;
  operations: CompiledOperation[];
}

type Doc = OpenAPIV3_1.Document;

/**
 * Reads an OpenAPI 3.1 document into operations with their validators compiled once. Every problem
 * is a StartupError naming the file and where in it.
 */
export interface CompileOptions {
  /**
   * Compile a validator for every documented response (default). Off when nothing will check
   * responses (the server without --strict), which halves start-up time.
   */
  responses?: boolean;
  /** The spec is one of the embedded ones, linted in the tests: skip meta-schema checks. */
  trusted?: boolean;
  /**
   * Compile each validator on its first use instead of now (default: now, so that a schema that
   * does not compile stops start-up, or a --watch reload, with its place in the file). The embedded
   * specs need neither: their validators come from the build (`precompiled`).
   */
  lazy?: boolean;
  /**
   * Validators compiled at build time (Ajv standalone code, scripts/compile-validators.js), by
   * validatorKey(); any it lacks is compiled here.
   */
  precompiled?: (key: string) => ValidateFunction | undefined;
  /** Called with each validator's key and schema instead of compiling it (the build uses this). */
  collect?: (key: string, schema: object, coerceTypes: boolean) => void;
}

/** The key of a validator in the build-time code: its schema, and whether it coerces types. */
export function validatorKey(schema: object, coerceTypes: boolean): string {
  return `${coerceTypes ? 'coerce' : 'plain'}:${JSON.stringify(schema)}`;
}

export function compileSpec(doc: unknown, file: string, specId: string, options: CompileOptions = {}): CompiledSpec {
  const withResponses = options.responses ?? true;
  const fail = (where: string, problem: string): never => {
    throw new StartupError(`${file}: ${where ? `${where}: ` : ''}${problem}`);
  };
  if (!isObject(doc)) return fail('', 'not an OpenAPI document (expected a mapping at the top level)');
  const version = doc.openapi;
  if (typeof version !== 'string' || !version.startsWith('3.1')) {
    return fail('openapi', `expected an OpenAPI 3.1 document, found ${JSON.stringify(version ?? null)}`);
  }
  const spec = doc as unknown as Doc;
  if (!isObject(spec.paths)) return fail('paths', 'missing or not a mapping');

  const lazy = options.lazy ?? false;
  let extensions: string[] | undefined;
  const ajvOf = (coerceTypes: boolean) => {
    extensions ??= collectExtensionKeys(spec);
    return createSpecAjv(specId, spec, extensions, { coerceTypes, trusted: options.trusted });
  };
  // Each Ajv is made when the first validator needs it; only specs with parameters need coercion.
  let plain: Ajv2020 | undefined;
  let coercing: Ajv2020 | undefined;
  const ajv = () => (plain ??= ajvOf(false));
  const coerce = () => (coercing ??= ajvOf(true));
  const compileNow = (validator: () => Ajv2020, schema: object, where: string): ValidateFunction => {
    try {
      return validator().compile(schema);
    } catch (err) {
      return fail(where, `schema does not compile: ${(err as Error).message}`);
    }
  };
  const compile = (validator: () => Ajv2020, schema: object, where: string): ValidateFunction => {
    const coerceTypes = validator === coerce;
    if (options.collect) {
      options.collect(validatorKey(schema, coerceTypes), schema, coerceTypes);
      return lazyValidator(() => compileNow(validator, schema, where));
    }
    const built = options.precompiled?.(validatorKey(schema, coerceTypes));
    if (built) return built;
    return lazy ? lazyValidator(() => compileNow(validator, schema, where)) : compileNow(validator, schema, where);
  };
  const resolve = <T>(value: unknown, pointer: string): { value: T; pointer: string } => resolveRef<T>(spec, value, pointer, fail);

  const schemes = new Map<string, SecurityScheme>();
  for (const [name, raw] of Object.entries(spec.components?.securitySchemes ?? {})) {
    const { value } = resolve<OpenAPIV3_1.SecuritySchemeObject>(raw, `/components/securitySchemes/${pointerSegment(name)}`);
    schemes.set(name, toScheme(name, value, fail));
  }
  const securityOf = (reqs: OpenAPIV3_1.SecurityRequirementObject[] | undefined, where: string): SecurityScheme[][] =>
    (reqs ?? []).map((alt) =>
      Object.keys(alt).map((name) => schemes.get(name) ?? fail(where, `unknown security scheme "${name}"`)),
    );

  const operations: CompiledOperation[] = [];
  const seen = new Set<string>();
  for (const [pathTemplate, rawItem] of Object.entries(spec.paths)) {
    const itemPointer = `/paths/${pointerSegment(pathTemplate)}`;
    const item = resolve<OpenAPIV3_1.PathItemObject>(rawItem, itemPointer).value;
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const opPointer = `${itemPointer}/${method}`;
      const where = `${method.toUpperCase()} ${pathTemplate}`;
      const operationId = op.operationId ?? fail(where, 'every operation needs an operationId');
      if (seen.has(operationId)) fail(where, `duplicate operationId "${operationId}"`);
      seen.add(operationId);

      // Parameters: path-level ones, overridden by operation-level ones of the same name and place.
      const params = new Map<string, { param: OpenAPIV3_1.ParameterObject; pointer: string }>();
      const addParams = (list: unknown[] | undefined, base: string): void =>
        (list ?? []).forEach((raw, i) => {
          const { value, pointer } = resolve<OpenAPIV3_1.ParameterObject>(raw, `${base}/parameters/${i}`);
          const name = value.in === 'header' ? value.name.toLowerCase() : value.name;
          params.set(`${value.in}:${name}`, { param: { ...value, name }, pointer });
        });
      addParams(item.parameters, itemPointer);
      addParams(op.parameters, opPointer);

      const { regex, names } = templateToRegex(pathTemplate);
      const groups: Record<string, { type: 'object'; properties: Record<string, object>; required: string[] }> = {};
      for (const { param, pointer } of params.values()) {
        const group = (groups[param.in] ??= { type: 'object', properties: {}, required: [] });
        group.properties[param.name] = param.schema ? { $ref: `${specId}#${pointer}/schema` } : {};
        if (param.required || param.in === 'path') group.required.push(param.name);
      }
      const validateParams =
        params.size > 0
          ? compile(coerce, { type: 'object', properties: groups }, `${where} parameters`)
          : undefined;

      let requestBody: CompiledOperation['requestBody'];
      if (op.requestBody) {
        const { value: body, pointer } = resolve<OpenAPIV3_1.RequestBodyObject>(op.requestBody, `${opPointer}/requestBody`);
        const media = new Map<string, ValidateFunction | undefined>();
        for (const [type, mt] of Object.entries(body.content ?? {})) {
          const schemaPointer = `${specId}#${pointer}/content/${pointerSegment(type)}/schema`;
          media.set(type.toLowerCase(), mt.schema ? compile(ajv, { $ref: schemaPointer }, `${where} request body`) : undefined);
        }
        if (media.size === 0) fail(`${where} requestBody`, 'has no content');
        const labels = (body as Record<string, unknown>)['x-authdouble-json-when-labelled'];
        const jsonWhenLabelled = new Set<string>();
        if (labels !== undefined) {
          if (!Array.isArray(labels) || !labels.every((l) => typeof l === 'string' && l !== '')) {
            fail(`${where} requestBody x-authdouble-json-when-labelled`, 'must be a list of media types');
          }
          if (!media.has('application/json')) fail(`${where} requestBody x-authdouble-json-when-labelled`, 'needs an application/json body');
          for (const label of labels as string[]) {
            if (media.has(label.toLowerCase())) fail(`${where} requestBody x-authdouble-json-when-labelled`, `${label} is already a documented body`);
            jsonWhenLabelled.add(label.toLowerCase());
          }
        }
        requestBody = { required: body.required ?? false, media, jsonWhenLabelled };
      }

      const responses = new Map<string, ResponseSpec>();
      let example: MockResponse | undefined;
      for (const [status, raw] of Object.entries(op.responses ?? {})) {
        const { value: response, pointer } = resolve<OpenAPIV3_1.ResponseObject>(raw, `${opPointer}/responses/${status}`);
        const media = new Map<string, ValidateFunction | undefined>();
        for (const [type, mt] of Object.entries(response.content ?? {})) {
          const schemaPointer = `${specId}#${pointer}/content/${pointerSegment(type)}/schema`;
          media.set(
            type.toLowerCase(),
            mt.schema && withResponses ? compile(ajv, { $ref: schemaPointer }, `${where} response ${status}`) : undefined,
          );
          if (!example && /^2\d\d$/.test(status)) {
            const found = exampleOf(mt, spec, pointer, fail);
            if (found !== undefined) example = { status: Number(status), body: found, contentType: type };
          }
        }
        if (!example && /^2\d\d$/.test(status) && media.size === 0) example = { status: Number(status) };
        responses.set(status.toUpperCase(), { media, headers: Object.keys(response.headers ?? {}) });
      }
      if (responses.size === 0) fail(where, 'documents no responses');

      operations.push({
        operationId,
        method: method.toUpperCase(),
        pathTemplate,
        regex,
        paramNames: names,
        validateParams,
        headerParams: Object.keys(groups.header?.properties ?? {}),
        requestBody,
        security: securityOf(op.security ?? spec.security, where),
        responses,
        example,
      });
    }
  }
  return { file, title: spec.info?.title ?? file, operations };
}

/**
 * A validator compiled on its first call. Callers see an ordinary ValidateFunction: call it, then
 * read `errors`.
 */
export function lazyValidator(make: () => ValidateFunction): ValidateFunction {
  let compiled: ValidateFunction | undefined;
  const validate = ((data: unknown) => (compiled ??= make())(data)) as ValidateFunction;
  Object.defineProperty(validate, 'errors', { get: () => compiled?.errors, enumerable: true });
  return validate;
}

function toScheme(name: string, s: OpenAPIV3_1.SecuritySchemeObject, fail: (w: string, p: string) => never): SecurityScheme {
  const where = `components.securitySchemes.${name}`;
  switch (s.type) {
    case 'http': {
      const scheme = s.scheme.toLowerCase();
      if (scheme === 'bearer') return { name, kind: 'bearer' };
      if (scheme === 'basic') return { name, kind: 'basic' };
      return fail(where, `HTTP scheme "${s.scheme}" is not supported (bearer and basic are)`);
    }
    case 'apiKey':
      return { name, kind: 'apiKey', in: s.in as 'header' | 'query' | 'cookie', param: s.in === 'header' ? s.name.toLowerCase() : s.name };
    case 'oauth2':
    case 'openIdConnect':
      return { name, kind: 'bearer' };
    default:
      return fail(where, `security scheme type "${(s as { type: string }).type}" is not supported`);
  }
}

/** Follows local `$ref`s (`#/...`) of non-schema objects; schemas are left to Ajv. */
function resolveRef<T>(doc: Doc, value: unknown, pointer: string, fail: (w: string, p: string) => never): { value: T; pointer: string } {
  let current: unknown = value;
  let at = pointer;
  for (let hops = 0; isObject(current) && typeof current.$ref === 'string'; hops++) {
    const ref = current.$ref;
    if (hops > 20) fail(at, `$ref cycle at "${ref}"`);
    if (!ref.startsWith('#/')) fail(at, `$ref "${ref}" is not supported: only references inside the same file are`);
    at = ref.slice(1);
    current = at
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), doc);
    if (current === undefined) fail(pointer, `$ref "${ref}" points at nothing`);
  }
  return { value: current as T, pointer: at };
}

function exampleOf(
  mt: OpenAPIV3_1.MediaTypeObject,
  doc: Doc,
  pointer: string,
  fail: (w: string, p: string) => never,
): unknown {
  if (mt.example !== undefined) return mt.example;
  const first = Object.values(mt.examples ?? {})[0];
  if (first !== undefined) return resolveRef<OpenAPIV3_1.ExampleObject>(doc, first, pointer, fail).value.value;
  const schema = mt.schema && resolveRef<unknown>(doc, mt.schema, pointer, fail).value;
  if (isObject(schema)) {
    if (schema.example !== undefined) return schema.example;
    if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  }
  return undefined;
}

function templateToRegex(template: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const m = /^\{([^}]+)\}$/.exec(part);
      if (m?.[1]) {
        names.push(m[1]);
        return '([^/]+)';
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return { regex: new RegExp(`^${source}/?$`), names };
}

export function collectExtensionKeys(root: unknown): string[] {
  const keys = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (isObject(node))
      for (const [k, v] of Object.entries(node)) {
        if (k.startsWith('x-')) keys.add(k);
        walk(v);
      }
  };
  walk(root);
  return [...keys];
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
