import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { stringify } from 'yaml';
import { apiHandler } from '../../src/engine/http-adapter';
import { loadApi } from '../../src/engine/load-api';
import type { ApiModule } from '../../src/engine/types';
import { StartupError, type MockError } from '../../src/errors';
import { createLogger } from '../../src/logger';
import { DEFAULT_OPTIONS } from '../../src/options';
import { Sessions } from '../../src/state/sessions';

/** A tiny API for exercising the engine on its own. */
const spec = {
  openapi: '3.1.0',
  info: { title: 'demo', version: '1' },
  paths: {
    '/items/{id}': {
      get: {
        operationId: 'getItem',
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'integer' } },
          { name: 'verbose', in: 'query', schema: { type: 'boolean' } },
        ],
        responses: {
          '200': {
            description: 'ok',
            content: { 'application/json': { schema: { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } } } },
          },
          '400': { description: 'bad', content: { 'application/json': { schema: { $ref: '#/components/schemas/Err' } } } },
        },
      },
    },
    '/static': {
      get: {
        operationId: 'getStatic',
        responses: {
          '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object' }, example: { hello: 'world' } } } },
        },
      },
    },
    '/broken': {
      get: {
        operationId: 'getBroken',
        responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object', required: ['must'] } } } } },
      },
    },
    '/crash': { get: { operationId: 'crash', responses: { '200': { description: 'ok' } } } },
  },
  components: { schemas: { Err: { type: 'object', required: ['error'], properties: { error: { type: 'string' } } } } },
};

const demo: ApiModule<{ greeting: string }> = {
  id: 'demo',
  title: 'Demo',
  fixtureSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['users'],
    properties: {
      greeting: { type: 'string', default: 'hi' },
      users: { type: 'array', items: { type: 'object', required: ['email'], properties: { email: { type: 'string', format: 'email' } } } },
    },
  },
  setup: () => ({
    behaviours: {
      getItem: (req) => ({ status: 200, body: { id: req.pathParams.id } }),
      getBroken: () => ({ status: 200, body: { not: 'what the spec says' } }),
      crash: () => {
        throw new Error('boom at /secret/path.ts:12');
      },
    },
    formatError: (e: MockError) => ({ status: e.status, body: { error: e.code } }),
  }),
};

function tempDirs(specDoc: unknown, fixtureText = 'users:\n  - email: a@b.co\n') {
  const dir = mkdtempSync(path.join(tmpdir(), 'authdouble-engine-'));
  writeFileSync(path.join(dir, 'demo.yaml'), typeof specDoc === 'string' ? specDoc : stringify(specDoc));
  const fixtures = mkdtempSync(path.join(tmpdir(), 'authdouble-fixtures-'));
  writeFileSync(path.join(fixtures, 'demo.yaml'), fixtureText);
  return { specDir: dir, fixturesDir: fixtures };
}

async function load(module: ApiModule, specDoc: unknown = spec, fixtureText?: string, strict = true) {
  const dirs = tempDirs(specDoc, fixtureText);
  return loadApi(module, { ...DEFAULT_OPTIONS, ...dirs, strict }, new Sessions(), createLogger('silent'));
}

const servers: Server[] = [];
afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

/** The demo API behind a real server on 127.0.0.1. */
async function serve(strict = true) {
  const engine = await load(demo as ApiModule, spec, undefined, strict);
  const app = express();
  app.use(apiHandler(engine, 1024));
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise((r) => server.once('listening', r));
  return request(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
}

describe('engine: serving a spec', () => {
  it('coerces and validates path and query parameters', async () => {
    const http = await serve();
    const ok = await http.get('/items/7?verbose=true').expect(200);
    expect(ok.body).toEqual({ id: 7 });
    const bad = await http.get('/items/seven').expect(400);
    expect(bad.body).toEqual({ error: 'validation_failed' });
    await http.get('/items/7?verbose=maybe').expect(400);
  });

  it('serves an operation without a behaviour from its example, and says so', async () => {
    const res = await (await serve()).get('/static').expect(200);
    expect(res.body).toEqual({ hello: 'world' });
    expect(res.headers['x-authdouble-source']).toBe('example');
  });

  it('in strict mode, turns a response that breaks the spec into a loud 500 problem', async () => {
    const res = await (await serve()).get('/broken').expect(500);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toMatch(/getBroken answered 200: .*must/);
  });

  it('without strict, sends the response as the behaviour made it', async () => {
    const res = await (await serve(false)).get('/broken').expect(200);
    expect(res.body).toEqual({ not: 'what the spec says' });
  });

  it('answers a behaviour that throws with a 500 problem that leaks nothing', async () => {
    const res = await (await serve(false)).get('/crash').expect(500);
    expect(JSON.stringify(res.body)).not.toMatch(/boom|secret|\.ts/);
  });
});

describe('engine: start-up failures name the file and the problem', () => {
  const expectStartup = async (promise: Promise<unknown>, pattern: RegExp) => {
    await expect(promise).rejects.toBeInstanceOf(StartupError);
    await expect(promise).rejects.toThrow(pattern);
  };

  it('a behaviour for an operationId the spec lacks', async () => {
    const extra = { ...demo, setup: async () => ({ ...(await demo.setup({} as never)), behaviours: { nope: () => ({ status: 200 }) } }) };
    await expectStartup(load(extra as ApiModule), /demo\.yaml: .*operationId "nope".*getItem/);
  });

  it('an operation with neither behaviour nor example', async () => {
    const noExample = structuredClone(spec) as typeof spec;
    delete (noExample.paths['/static'].get.responses['200'].content['application/json'] as { example?: unknown }).example;
    await expectStartup(load(demo as ApiModule, noExample), /GET \/static \(getStatic\) has no behaviour and no 2xx example/);
  });

  it('an x-authdouble-json-when-labelled that is not a list, or names a documented body', async () => {
    const withBody = (labels: unknown, extra: Record<string, unknown> = {}) => {
      const doc = structuredClone(spec) as Record<string, any>;
      doc.paths['/static'].post = {
        operationId: 'postStatic',
        requestBody: {
          'x-authdouble-json-when-labelled': labels,
          content: { 'application/json': { schema: { type: 'object' } }, ...extra },
        },
        responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object' }, example: {} } } } },
      };
      return doc;
    };
    await expectStartup(load(demo as ApiModule, withBody('application/x-www-form-urlencoded')), /x-authdouble-json-when-labelled.*must be a list of media types/);
    await expectStartup(
      load(demo as ApiModule, withBody(['application/x-www-form-urlencoded'], { 'application/x-www-form-urlencoded': { schema: { type: 'object' } } })),
      /application\/x-www-form-urlencoded is already a documented body/,
    );
  });

  it('a spec that is not YAML', async () => {
    await expectStartup(load(demo as ApiModule, 'openapi: 3.1.0\npaths: [unclosed\n'), /demo\.yaml:\d+:\d+: the OpenAPI spec is not valid YAML/);
  });

  it('a spec that is not OpenAPI 3.1', async () => {
    await expectStartup(load(demo as ApiModule, { ...spec, openapi: '3.0.3' }), /demo\.yaml: openapi: expected an OpenAPI 3\.1 document/);
  });

  it('a dangling $ref', async () => {
    const broken = structuredClone(spec) as Record<string, any>;
    broken.paths['/items/{id}'].get.responses['400'] = { $ref: '#/components/responses/Missing' };
    await expectStartup(load(demo as ApiModule, broken), /points at nothing/);
  });

  it('an operation without operationId', async () => {
    const broken = structuredClone(spec) as Record<string, any>;
    delete broken.paths['/static'].get.operationId;
    await expectStartup(load(demo as ApiModule, broken), /GET \/static: every operation needs an operationId/);
  });

  it('a fixture that breaks its schema: file, line, path and message', async () => {
    await expectStartup(
      load(demo as ApiModule, spec, 'greeting: hi\nusers:\n  - email: not-an-email\n'),
      /demo\.yaml:3:\d+ \/users\/0\/email: must match format "email"/,
    );
  });

  it('a fixture with an unknown setting', async () => {
    await expectStartup(load(demo as ApiModule, spec, 'users: []\ncolour: blue\n'), /\/colour: is not an allowed field/);
  });

  it('a fixture that is not YAML', async () => {
    await expectStartup(load(demo as ApiModule, spec, 'users: [\n'), /demo\.yaml:\d+:\d+: the demo fixture is not valid YAML/);
  });
});

describe('the b2core spec on disk', () => {
  it('is the one the engine loads', () => {
    expect(readFileSync(path.join(__dirname, '../../openapi/b2core.yaml'), 'utf8')).toMatch(/^openapi: 3\.1/);
  });
});
