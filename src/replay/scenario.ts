/**
 * Fixture scenarios: YAML files of steps (a request, what the response must show, values to keep)
 * that testers write by hand and `authdouble replay` runs like a recording. The format is in
 * docs/replay.md; examples are in fixtures/scenarios/.
 */
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { StartupError } from '../errors';
import { toDiagnostics } from '../engine/ajv';
import { readYamlFile } from '../engine/yaml-file';

export interface ScenarioStep {
  name?: string;
  /** `METHOD /path` inside the API. */
  request: string;
  headers?: Record<string, string>;
  json?: unknown;
  form?: Record<string, string>;
  /** A body sent as written, with `contentType`. */
  text?: string;
  contentType?: string;
  bearer?: string;
  basic?: { user: string; password: string };
  expect?: {
    status?: number | number[];
    /** The JSON body contains this: objects these fields, arrays these items, values equal. */
    body?: unknown;
    /** The text body is exactly this. */
    text?: string;
    /** Fields that must be there (`body.accessToken.token`, `header.set-cookie`, `cookie.refresh_token`). */
    present?: string[];
    /** Fields that must not be there. */
    absent?: string[];
  };
  /** name → `body.a.b`, `header.x`, `cookie.name` or `status`; used later as `${name}`. */
  save?: Record<string, string>;
}

export interface Scenario {
  file: string;
  /** The file's name without `.yaml`: the prefix of its check ids. */
  name: string;
  api: string;
  title?: string;
  steps: ScenarioStep[];
  /** `file:line` of each step, for messages. */
  stepLines: string[];
}

const stringMap = { type: 'object', additionalProperties: { type: 'string' } };

const scenarioSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['api', 'steps'],
  properties: {
    api: { type: 'string', minLength: 1 },
    title: { type: 'string' },
    description: { type: 'string' },
    steps: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['request'],
        properties: {
          name: { type: 'string' },
          request: { type: 'string', pattern: '^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /\\S*$' },
          headers: stringMap,
          json: {},
          form: stringMap,
          text: { type: 'string' },
          contentType: { type: 'string' },
          bearer: { type: 'string' },
          basic: {
            type: 'object',
            additionalProperties: false,
            required: ['user', 'password'],
            properties: { user: { type: 'string' }, password: { type: 'string' } },
          },
          expect: {
            type: 'object',
            additionalProperties: false,
            properties: {
              status: {
                oneOf: [
                  { type: 'integer', minimum: 100, maximum: 599 },
                  { type: 'array', minItems: 1, items: { type: 'integer', minimum: 100, maximum: 599 } },
                ],
              },
              body: {},
              text: { type: 'string' },
              present: { type: 'array', items: { type: 'string', pattern: '^(body|header|cookie)(\\.|\\[|$)' } },
              absent: { type: 'array', items: { type: 'string', pattern: '^(body|header|cookie)(\\.|\\[|$)' } },
            },
          },
          save: { type: 'object', additionalProperties: { type: 'string', pattern: '^(status$|(body|header|cookie)(\\.|\\[|$))' } },
        },
        not: { anyOf: [{ required: ['json', 'form'] }, { required: ['json', 'text'] }, { required: ['form', 'text'] }] },
      },
    },
  },
};

const ajv = new Ajv2020({ allErrors: true, strict: false });
const validateScenario = ajv.compile(scenarioSchema);

/** Reads and checks a scenario file; a broken one is a StartupError naming the line and the field. */
export function loadScenario(file: string, knownApis: string[]): Scenario {
  const yaml = readYamlFile(file, 'the scenario');
  if (!validateScenario(yaml.data)) {
    const lines = toDiagnostics(validateScenario.errors)
      .map((d) => `  ${yaml.locate(d.path)} ${d.path || '/'}: ${plain(d.message)}`);
    throw new StartupError(`${file}: the scenario is invalid:\n${[...new Set(lines)].join('\n')}`);
  }
  const data = yaml.data as { api: string; title?: string; steps: ScenarioStep[] };
  if (!knownApis.includes(data.api)) {
    throw new StartupError(`${yaml.locate('/api')} /api: unknown API "${data.api}"; known: ${knownApis.join(', ')}`);
  }
  return {
    file,
    name: path.basename(file).replace(/\.(ya?ml)$/i, ''),
    api: data.api,
    title: data.title,
    steps: data.steps,
    stepLines: data.steps.map((_, i) => yaml.locate(`/steps/${i}`)),
  };
}

function plain(message: string): string {
  if (message.startsWith('must match pattern "^(GET')) return 'must be "METHOD /path", e.g. "POST /api/v2/signin"';
  if (message.startsWith('must match pattern "^(status')) return 'must be status, body.<path>, header.<name> or cookie.<name>';
  if (message.startsWith('must match pattern "^(body')) return 'must be body.<path>, header.<name> or cookie.<name>';
  if (message === 'must NOT be valid') return 'has more than one of json, form and text';
  return message;
}
