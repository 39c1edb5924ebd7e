import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ValidateFunction } from 'ajv';
import { packageRoot } from '../paths';
import { fileDigest } from './yaml-file';

/**
 * Validators of the embedded specs and fixture schemas, compiled at build time into Ajv standalone
 * code (scripts/compile-validators.js, part of `npm run build`), so that start-up neither loads Ajv
 * nor compiles a schema. Each is used only while it matches its source: a spec file with the content
 * digest it was built from, a fixture schema with the same digest. Otherwise (an edited
 * spec, a checkout without a build) the caller compiles as before.
 */
export const validatorsDir = path.join(packageRoot, 'dist', 'validators');

/** What the build writes beside each spec's code: its file's identity and where each validator is. */
export interface SpecValidatorsIndex {
  /** The spec file, relative to the package. */
  file: string;
  /** fileDigest() of the spec file it was built from. */
  sha256: string;
  /** validatorKey() → [the module (`plain` or `coerce`), its export]. */
  keys: Record<string, ['plain' | 'coerce', string]>;
}

type Exports = Record<string, ValidateFunction | undefined>;

/** The build-time validators of spec `id` read from `file`, when they were made from the file as it is. */
export function precompiledSpec(id: string, file: string): ((key: string) => ValidateFunction | undefined) | undefined {
  let index: SpecValidatorsIndex;
  try {
    index = JSON.parse(readFileSync(path.join(validatorsDir, `spec-${id}.json`), 'utf8')) as SpecValidatorsIndex;
    if (path.resolve(file) !== path.join(packageRoot, index.file) || fileDigest(file) !== index.sha256) return undefined;
  } catch {
    return undefined;
  }
  const modules: Partial<Record<'plain' | 'coerce', Exports>> = {};
  return (key) => {
    const at = index.keys[key];
    if (!at) return undefined;
    const [kind, name] = at;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- generated code, loaded when first used
    const code = (modules[kind] ??= require(path.join(validatorsDir, `spec-${id}-${kind}.js`)) as Exports);
    return code[name];
  };
}

let fixtureExports: (Exports & { digests?: Record<string, string> }) | null | undefined;

/** The build-time validator of a fixture schema, when it was made from this very schema. */
export function precompiledFixture(id: string, schema: object): ValidateFunction | undefined {
  if (fixtureExports === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- generated code
      fixtureExports = require(path.join(validatorsDir, 'fixtures.js')) as Exports & { digests?: Record<string, string> };
    } catch {
      fixtureExports = null;
    }
  }
  if (!fixtureExports || fixtureExports.digests?.[id] !== schemaDigest(schema)) return undefined;
  return fixtureExports[id];
}

export function schemaDigest(schema: object): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('base64url');
}
