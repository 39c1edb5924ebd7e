import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { toDiagnostics } from '../engine/ajv';
import { readYamlFile, type YamlFile } from '../engine/yaml-file';
import { StartupError } from '../errors';
import { packageRoot } from '../paths';
import { actionStepSchema, assertStepSchema, flowFileSchema, requestStepSchema } from './flow-schema';
import type { CheckSpec, FlowFile } from './flow-types';

/** The flows that ship with authdouble: `contract/flows/<api>.yaml`. */
export const defaultFlowsDir = path.join(packageRoot, 'contract', 'flows');

/** A check as loaded: its full id (`<api>.<id>`) and the file it came from. */
export interface LoadedCheck {
  id: string;
  file: string;
  spec: CheckSpec;
}

const ajv = new Ajv2020({ allErrors: true, strict: false });
const validators: Record<'file' | 'request' | 'do' | 'assert', ValidateFunction> = {
  file: ajv.compile(flowFileSchema),
  request: ajv.compile(requestStepSchema),
  do: ajv.compile(actionStepSchema),
  assert: ajv.compile(assertStepSchema),
};

/**
 * The checks for `api`: the shipped file, then every `*.yaml` in `extraDirs` whose `api` is this
 * one (files for other APIs are left alone). A broken file, or an id used twice, is a StartupError
 * naming the file and line.
 */
export function loadChecks(api: string, extraDirs: string[] = [], builtInDir = defaultFlowsDir): LoadedCheck[] {
  const files = [path.join(builtInDir, `${api}.yaml`), ...extraDirs.flatMap(yamlFilesIn)];
  const checks: LoadedCheck[] = [];
  const seen = new Map<string, string>();
  if (!existsSync(files[0]!)) throw new StartupError(`${files[0]}: the shipped flows of ${api} are missing (is the package complete?)`);
  for (const file of files) {
    const yaml = readYamlFile(file, 'the flow file');
    const flow = validate(yaml);
    if (flow.api !== api) continue;
    flow.checks.forEach((spec, i) => {
      const id = `${api}.${spec.id}`;
      const where = yaml.locate(`/checks/${i}/id`);
      const before = seen.get(id);
      if (before) throw new StartupError(`${where}: the check ${id} is already defined at ${before}`);
      seen.set(id, where);
      checks.push({ id, file, spec });
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

function validate(yaml: YamlFile): FlowFile {
  const problems: string[] = [];
  const report = (validator: ValidateFunction, prefix: string) =>
    problems.push(...toDiagnostics(validator.errors).map((d) => `  ${yaml.locate(prefix + d.path)} ${prefix + d.path || '/'}: ${d.message}`));
  if (!validators.file(yaml.data)) report(validators.file, '');
  else {
    (yaml.data as FlowFile).checks.forEach((check, i) =>
      check.steps.forEach((step, j) => {
        const pointer = `/checks/${i}/steps/${j}`;
        const kinds = (['request', 'do', 'assert'] as const).filter((k) => k in step);
        if (kinds.length !== 1) {
          problems.push(`  ${yaml.locate(pointer)} ${pointer}: a step has exactly one of request, do or assert`);
          return;
        }
        const validator = validators[kinds[0]!];
        if (!validator(step)) report(validator, pointer);
      }),
    );
  }
  if (problems.length > 0) throw new StartupError(`${yaml.file}: the flow file is invalid:\n${[...new Set(problems)].join('\n')}`);
  return yaml.data as FlowFile;
}
