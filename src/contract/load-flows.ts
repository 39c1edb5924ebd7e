import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { apiModules } from '../apis';
import { StartupError } from '../errors';
import { packageRoot } from '../paths';
import type { CheckSpec } from './flow-types';
import { loadStepFile } from './step-file';

/** The flows that ship with authdouble: `contract/flows/<api>.yaml`. */
export const defaultFlowsDir = path.join(packageRoot, 'contract', 'flows');

/** A check as loaded: its full id (`<api>.<id>`) and the file it came from. */
export interface LoadedCheck {
  id: string;
  file: string;
  spec: CheckSpec;
  /** `file:line` of each step. */
  stepLines?: string[];
}

/**
 * The checks for `api`: the shipped file, then every `*.yaml` in `extraDirs` whose `api` is this
 * one (files for other APIs are left alone). A file of one sequence of `steps` (what `replay` also
 * runs) is one check named after the file. A broken file, or an id used twice, is a StartupError
 * naming the file and line.
 */
export function loadChecks(api: string, extraDirs: string[] = [], builtInDir = defaultFlowsDir): LoadedCheck[] {
  const files = [path.join(builtInDir, `${api}.yaml`), ...extraDirs.flatMap(yamlFilesIn)];
  const checks: LoadedCheck[] = [];
  const seen = new Map<string, string>();
  if (!existsSync(files[0]!)) throw new StartupError(`${files[0]}: the shipped flows of ${api} are missing (is the package complete?)`);
  const known = apiModules.map((m) => m.id);
  for (const file of files) {
    const loaded = loadStepFile(file, known, 'the flow file');
    if (loaded.api !== api) continue;
    loaded.checks.forEach((spec, i) => {
      const id = `${api}.${spec.id}`;
      const where = loaded.idLines[i] ?? file;
      const before = seen.get(id);
      if (before) throw new StartupError(`${where}: the check ${id} is already defined at ${before}`);
      seen.set(id, where);
      checks.push({ id, file, spec, stepLines: loaded.stepLines[i] });
    });
  }
  return checks;
}

function yamlFilesIn(dir: string): string[] {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new StartupError(`${dir}: --flows must name a folder of .yaml files`);
    entries = readdirSync(dir);
  } catch (err) {
    if (err instanceof StartupError) throw err;
    throw new StartupError(`${dir}: cannot read the flows folder: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return entries
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}
