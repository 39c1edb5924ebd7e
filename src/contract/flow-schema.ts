/**
 * JSON Schemas of a flow file. The file itself is checked with `flowFileSchema` (steps only as
 * objects); each step then with the schema of its type (a `request`, a `do` or an `assert`), so
 * that a mistake gets one message about that step, not every way it could have been another.
 */

const name = { type: 'string', minLength: 1 };
const templated = { type: ['string', 'number'] };
const save = { type: 'object', additionalProperties: { type: 'string', minLength: 1 } };
const expectation = {
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
    text: {},
    headers: { type: 'object' },
  },
};

export const flowFileSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  required: ['api', 'checks'],
  properties: {
    api: name,
    checks: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'title', 'kind', 'steps'],
        properties: {
          id: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*(\\.[a-z0-9][a-z0-9-]*)*$' },
          title: name,
          kind: { enum: ['schema', 'flow', 'negative', 'stateful', 'destructive'] },
          requires: { type: 'array', items: { enum: ['control', 'otp', 'clock', 'destructive'] } },
          order: { enum: ['last'] },
          steps: { type: 'array', minItems: 1, items: { type: 'object' } },
        },
      },
    },
  },
};

export const requestStepSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['request'],
  properties: {
    name,
    fail: name,
    request: { type: 'string', pattern: '^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /\\S*$' },
    json: {},
    form: { type: 'object' },
    raw: { type: 'string' },
    contentType: name,
    headers: { type: 'object', additionalProperties: templated },
    bearer: { type: 'string' },
    basic: {
      type: 'object',
      additionalProperties: false,
      required: ['user', 'password'],
      properties: { user: { type: 'string' }, password: { type: 'string' } },
    },
    cookies: { type: 'boolean' },
    repeat: templated,
    expect: expectation,
    save,
  },
};

export const actionStepSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['do'],
  properties: {
    name,
    fail: name,
    do: { enum: ['otp', 'fib-sign', 'ws', 'clock'] },
    with: { type: 'object' },
    expect: { type: 'object', additionalProperties: false, properties: { body: {} } },
    save,
  },
};

export const assertStepSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['assert', 'fail'],
  properties: {
    name,
    fail: name,
    assert: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      maxProperties: 1,
      properties: {
        differ: { type: 'array', minItems: 2, maxItems: 2 },
        equal: { type: 'array', minItems: 2, maxItems: 2 },
      },
    },
  },
};
