import path from 'node:path';
import { StartupError } from '../errors';
import { apiFile, fixtureFile, loadFixture } from '../fixtures/load';
import type { Logger } from '../logger';
import type { ServerOptions } from '../options';
import { defaultFixturesDir, defaultSpecDir } from '../paths';
import type { StateBackend } from '../state/backend';
import { KeyRing } from '../apis/shared/keys';
import { compileSpec } from './compile';
import { precompiledSpec } from './precompiled';
import { ApiEngine } from './pipeline';
import type { ApiModule } from './types';
import { readYamlFile } from './yaml-file';

/**
 * Builds one API's engine: its spec compiled, its fixture validated, its behaviours attached by
 * operationId. A behaviour for an operation the spec lacks, or an operation with neither behaviour
 * nor example, stops start-up.
 */
export async function loadApi(
  module: ApiModule,
  options: ServerOptions,
  state: StateBackend,
  logger: Logger,
  keys: KeyRing = new KeyRing(),
): Promise<ApiEngine> {
  const specFile = apiFile(options.specDir, module.id) ?? path.join(options.specDir, `${module.id}.yaml`);
  const file = options.fixtureFiles[module.id] ?? fixtureFile(module.id, options.fixturesDir, defaultFixturesDir);
  const fixture = loadFixture(module, file);
  const pending = Promise.resolve(module.setup({ fixture, fixtureFile: file, keys }));
  pending.catch(() => undefined); // awaited below; a compile error must not leave it unhandled
  // The embedded specs compile their validators on first use; others now, so errors stop start-up.
  const spec = compileSpec(readYamlFile(specFile, 'the OpenAPI spec').data, specFile, `spec:${module.id}`, {
    responses: options.strict,
    trusted: options.specDir === defaultSpecDir,
    precompiled: options.specDir === defaultSpecDir ? precompiledSpec(module.id, specFile) : undefined,
  });
  const runtime = await pending;

  const ids = new Set(spec.operations.map((op) => op.operationId));
  for (const id of Object.keys(runtime.behaviours)) {
    if (!ids.has(id)) {
      throw new StartupError(
        `${specFile}: the ${module.id} behaviours handle operationId "${id}", which the spec does not define (it has: ${[...ids].join(', ')})`,
      );
    }
  }
  for (const op of spec.operations) {
    if (!runtime.behaviours[op.operationId] && !op.example) {
      throw new StartupError(
        `${specFile}: ${op.method} ${op.pathTemplate} (${op.operationId}) has no behaviour and no 2xx example to serve`,
      );
    }
  }
  return new ApiEngine(module.id, spec, runtime, state, { strict: options.strict }, logger);
}
