/**
 * The one file format of authdouble's steps: `verify --flows` and `replay` read the same files. A
 * file names its API and holds either one sequence of `steps` (a scenario: each step is reported on
 * its own) or named `checks` (each a sequence, reported as one check). The JSON Schema that editors
 * use (`$schema: .../contract/steps.schema.json`) is the one checked here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { toDiagnostics } from '../engine/ajv';
import { readYamlFile, type YamlFile } from '../engine/yaml-file';
import { StartupError } from '../errors';
import { packageRoot } from '../paths';
import type { CheckSpec, StepSpec } from './flow-types';

/** The JSON Schema of a steps file, shipped for editors. */
export const stepsSchemaFile = path.join(packageRoot, 'contract', 'steps.schema.json');

export interface StepFile {
  file: string;
  /** The file's name without `.yaml`: the prefix of replay's result ids. */
  name: string;
  api: string;
  title?: string;
  /** `steps`: one sequence, each step a result; `checks`: named sequences, each a result. */
  shape: 'steps' | 'checks';
  /** For `steps` files, one check (kind `flow`) named after the file. */
  checks: CheckSpec[];
  /** `file:line` of each step of each check, for messages. */
  stepLines: string[][];
  /** `file:line` of each check's id (of `steps` for a one-sequence file). */
  idLines: string[];
}

let validators: { file: ValidateFunction; request: ValidateFunction; do: ValidateFunction; assert: ValidateFunction } | undefined;

function compile(): NonNullable<typeof validators> {
  if (validators) return validators;
  const schema = JSON.parse(readFileSync(stepsSchemaFile, 'utf8')) as Record<string, unknown> & { $id: string; $defs: Record<string, unknown> };
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  ajv.addSchema(schema);
  // The file's outline first (steps only as objects, the shape checked by hand), then each step
  // against its own kind: one clear message per mistake instead of every way it could be another kind.
  const { oneOf: _shape, $id, ...outline } = schema;
  const fileSchema = { ...outline, $id: $id.replace(/\.schema\.json$/, ".outline.schema.json"), $defs: { ...schema.$defs, steps: { type: 'array', minItems: 1, items: { type: 'object' } } } };
  validators = {
    file: ajv.compile(fileSchema),
    request: ajv.getSchema(`${$id}#/$defs/requestStep`)!,
    do: ajv.getSchema(`${$id}#/$defs/actionStep`)!,
    assert: ajv.getSchema(`${$id}#/$defs/assertStep`)!,
  };
  return validators;
}

/**
 * Reads and checks a steps file; a broken one is a StartupError naming the file, the line and the
 * field (`what` names the file in messages: "the flow file", "the scenario").
 */
export function loadStepFile(file: string, knownApis: string[], what = 'the steps file'): StepFile {
  const yaml = readYamlFile(file, what);
  const v = compile();
  const problems: string[] = [];
  const report = (validator: ValidateFunction, prefix: string) =>
    problems.push(...toDiagnostics(validator.errors).map((d) => `  ${yaml.locate(prefix + d.path)} ${prefix + d.path || '/'}: ${plain(d.message)}`));
  const data = yaml.data as { api?: unknown; title?: string; steps?: StepSpec[]; checks?: CheckSpec[] };
  if (!v.file(data)) report(v.file, '');
  else if ((data.steps === undefined) === (data.checks === undefined)) {
    problems.push(`  ${yaml.locate('')} /: ${data.steps ? 'has both steps and checks; keep one' : 'needs steps (one sequence) or checks (named sequences of steps)'}`);
  } else {
    const sequences = data.steps ? [{ pointer: '/steps', steps: data.steps }] : data.checks!.map((c, i) => ({ pointer: `/checks/${i}/steps`, steps: c.steps }));
    for (const { pointer, steps } of sequences) checkSteps(steps, pointer, yaml, v, problems, report);
  }
  if (problems.length > 0) throw new StartupError(`${file}: ${what} is invalid:\n${[...new Set(problems)].join('\n')}`);
  const api = data.api as string;
  if (!knownApis.includes(api)) throw new StartupError(`${yaml.locate('/api')} /api: unknown API "${api}"; known: ${knownApis.join(', ')}`);
  const name = path.basename(file).replace(/\.ya?ml$/i, '');
  if (data.steps) {
    const check: CheckSpec = { id: checkIdOf(name), title: data.title ?? name, kind: 'flow', steps: data.steps };
    return { file, name, api, title: data.title, shape: 'steps', checks: [check], stepLines: [data.steps.map((_, i) => yaml.locate(`/steps/${i}`))], idLines: [yaml.locate('/steps')] };
  }
  const checks = data.checks!;
  return {
    file,
    name,
    api,
    title: data.title,
    shape: 'checks',
    checks,
    stepLines: checks.map((c, i) => c.steps.map((_, j) => yaml.locate(`/checks/${i}/steps/${j}`))),
    idLines: checks.map((_, i) => yaml.locate(`/checks/${i}/id`)),
  };
}

function checkSteps(
  steps: StepSpec[],
  pointer: string,
  yaml: YamlFile,
  v: NonNullable<typeof validators>,
  problems: string[],
  report: (validator: ValidateFunction, prefix: string) => void,
): void {
  steps.forEach((step, j) => {
    const at = `${pointer}/${j}`;
    const kinds = (['request', 'do', 'assert'] as const).filter((k) => k in step);
    if (kinds.length !== 1) {
      problems.push(`  ${yaml.locate(at)} ${at}: a step has exactly one of request, do or assert`);
      return;
    }
    const validator = v[kinds[0]!];
    if (!validator(step)) report(validator, at);
  });
}

/** A file name as a check id: `B2core Sign_in.yaml` → `b2core-sign-in`. */
function checkIdOf(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '') || 'steps';
}

function plain(message: string): string {
  if (message.startsWith('must match pattern "^(GET')) return 'must be "METHOD /path", e.g. "POST /api/v2/signin"';
  if (message.startsWith('must match pattern "^(status')) return 'must be status, body.<path>, header.<name> or cookie.<name>';
  if (message.startsWith('must match pattern "^(body')) return 'must be body.<path>, header.<name> or cookie.<name>';
  if (message === 'must NOT be valid') return 'has more than one of json, form and raw';
  return message;
}
