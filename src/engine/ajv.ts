import type Ajv2020 from 'ajv/dist/2020';
import type { ErrorObject } from 'ajv';
import type { Diagnostic } from '../errors';

/** Keywords OpenAPI allows in schemas that are annotations to JSON Schema validation. */
const OPENAPI_ANNOTATIONS = ['example', 'xml', 'externalDocs'];

/**
 * One Ajv for a spec (JSON Schema 2020-12, as OpenAPI 3.1 uses). The spec's `paths` and
 * `components` are registered under `specId`, so any schema in it compiles by JSON pointer and
 * its `$ref`s resolve as they do in the document.
 */
export function createSpecAjv(
  specId: string,
  doc: { paths?: unknown; components?: unknown },
  extensions: string[],
  options: { coerceTypes?: boolean; trusted?: boolean; source?: boolean } = {},
): Ajv2020 {
  const { Ajv, addFormats } = loadAjv();
  const ajv = new Ajv({
    allErrors: true,
    strict: true,
    strictRequired: false,
    strictTypes: false,
    discriminator: true,
    coerceTypes: options.coerceTypes ?? false,
    // Specs are trusted, but keep validation linear in input size.
    code: { optimize: false, source: options.source ?? false },
    // Checking every schema against the meta-schema doubles compile time; the embedded specs are
    // linted in the tests, so only specs from elsewhere (--specs) are checked.
    validateSchema: !options.trusted,
  });
  addFormats(ajv);
  ajv.addVocabulary([...OPENAPI_ANNOTATIONS, 'components', 'paths', ...extensions]);
  ajv.addSchema({ $id: specId, paths: doc.paths ?? {}, components: doc.components ?? {} }, undefined, undefined, false);
  return ajv;
}

/**
 * Ajv, loaded when first needed: the embedded specs and fixtures use validators compiled at build
 * time, so a start-up from them never loads it.
 */
export function loadAjv(): { Ajv: typeof Ajv2020; addFormats: typeof import('ajv-formats').default } {
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded on demand */
  const Ajv = (require('ajv/dist/2020') as { default: typeof Ajv2020 }).default;
  const addFormats = (require('ajv-formats') as typeof import('ajv-formats')).default;
  /* eslint-enable @typescript-eslint/no-require-imports */
  return { Ajv, addFormats };
}

/** Ajv's errors as diagnostics, with the JSON pointer of the offending value and a plain message. */
export function toDiagnostics(errors: ErrorObject[] | null | undefined, prefix = ''): Diagnostic[] {
  return (errors ?? []).map((e) => {
    let path = e.instancePath;
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'additionalProperties') {
      const extra = String((e.params as { additionalProperty: string }).additionalProperty);
      path = `${path}/${extra}`;
      message = 'is not an allowed field';
    } else if (e.keyword === 'required') {
      const missing = String((e.params as { missingProperty: string }).missingProperty);
      path = `${path}/${missing}`;
      message = 'is required';
    } else if (e.keyword === 'enum' || e.keyword === 'const') {
      const allowed = (e.params as { allowedValues?: unknown[]; allowedValue?: unknown }).allowedValues ?? [
        (e.params as { allowedValue?: unknown }).allowedValue,
      ];
      message = `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    return { path: prefix + path, message };
  });
}

/** Escapes one JSON pointer segment. */
export function pointerSegment(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}
