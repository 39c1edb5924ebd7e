import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { stringify } from 'yaml';
import { apiHandler } from '../../src/engine/http-adapter';
import { loadApi } from '../../src/engine/load-api';
import type { ApiModule, MockResponse } from '../../src/engine/types';
import type { MockError } from '../../src/errors';
import { createLogger } from '../../src/logger';
import { DEFAULT_OPTIONS } from '../../src/options';
import { Sessions } from '../../src/state/sessions';

/**
 * What the engine answers, over real HTTP, in the cases `npm run mutate` found unchecked: the mock's
 * own 404/405/400 problems and their details, the explanation a 415 gives (with the curl hint only
 * when it applies), the summary of a 400 for bad parameters and bodies, the content type a response
 * gets when the behaviour names none, and what strict mode says about an off-spec response.
 */

const json = (schema: unknown) => ({ 'application/json': { schema } });
/** The API's own error body, documented for every operation (strict mode holds errors to the spec too). */
const errors = { default: { description: 'error', content: json({ type: 'object', required: ['error'] }) } };
const spec = {
  openapi: '3.1.0',
  info: { title: 'answers', version: '1' },
  paths: {
    '/things': {
      get: {
        operationId: 'listThings',
        parameters: [
          { name: 'x-trace', in: 'header', schema: { type: 'string', pattern: '^t-' } },
          { name: 'limit', in: 'query', schema: { type: 'integer', maximum: 10 } },
        ],
        responses: { '200': { description: 'ok', content: json({ type: 'object' }) }, ...errors },
      },
      post: {
        operationId: 'addThing',
        requestBody: {
          required: true,
          content: json({ type: 'object', required: ['a', 'b', 'c', 'd'], properties: { a: { type: 'string' } } }),
        },
        responses: { '201': { description: 'made', content: json({ type: 'object' }) }, ...errors },
      },
    },
    '/notes': {
      post: {
        operationId: 'addNote',
        requestBody: { required: true, content: { 'text/plain': { schema: { type: 'string' } } } },
        responses: { '200': { description: 'ok', content: { 'text/plain': { schema: { type: 'string' } } } }, ...errors },
      },
    },
    '/vendor': {
      get: { operationId: 'getVendor', responses: { '200': { description: 'ok', content: { 'application/vnd.demo+json': { schema: { type: 'object' } } } } } },
    },
    '/off-spec/{how}': {
      get: {
        operationId: 'offSpec',
        parameters: [{ name: 'how', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': { description: 'ok', content: json({ type: 'object' }) },
          '204': { description: 'nothing' },
        },
      },
    },
  },
};

const offSpec: Record<string, MockResponse> = {
  teapot: { status: 418, body: { tea: true } },
  empty: { status: 200 },
  html: { status: 200, body: '<p>hi</p>', contentType: 'text/html' },
  nothing: { status: 204 },
};

const demo: ApiModule = {
  id: 'demo',
  title: 'Demo',
  fixtureSchema: { type: 'object' },
  setup: () => ({
    behaviours: {
      listThings: () => ({ status: 200, body: { ok: true } }),
      addThing: () => ({ status: 201, body: {} }),
      addNote: (req) => ({ status: 200, body: `noted: ${String(req.body)}` }),
      getVendor: () => ({ status: 200, body: { vendor: true } }),
      offSpec: (req) => offSpec[req.pathParams.how as string]!,
    },
    formatError: (e: MockError) => ({ status: e.status, body: { error: e.code, message: e.message } }),
  }),
};

let server: Server;
let port: number;
beforeAll(async () => {
  const specDir = mkdtempSync(path.join(tmpdir(), 'authdouble-answers-'));
  writeFileSync(path.join(specDir, 'demo.yaml'), stringify(spec));
  const fixturesDir = mkdtempSync(path.join(tmpdir(), 'authdouble-answers-fixtures-'));
  writeFileSync(path.join(fixturesDir, 'demo.yaml'), '{}\n');
  const engine = await loadApi(demo, { ...DEFAULT_OPTIONS, specDir, fixturesDir, strict: true }, new Sessions(), createLogger('silent'));
  server = createServer(apiHandler(engine, 4096));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  body: any;
}

/** One request with exactly these headers (fetch would add a Content-Type of its own). */
function call(method: string, pathAndQuery: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path: pathAndQuery, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        resolve({ status: res.statusCode!, headers: res.headers, text, body: parsed });
      });
    });
    req.setTimeout(10_000, () => req.destroy(new Error('no answer')));
    req.on('error', reject);
    req.end(body);
  });
}

describe("the mock's own problems", () => {
  it('no such operation: 404, naming the API, method and path', async () => {
    const res = await call('GET', '/nothing/here?x=1');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.body).toEqual({ type: 'about:blank', title: 'No such operation', status: 404, detail: 'demo has no operation at GET /nothing/here' });
  });

  it('a method the path does not take: 405 with Allow listing the ones it does', async () => {
    const res = await call('DELETE', '/things');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, POST');
    expect(res.body).toEqual({ type: 'about:blank', title: 'Method not allowed', status: 405, detail: '/things accepts GET, POST' });
  });

  it('a session name of 201 characters is refused; 200 is the longest accepted', async () => {
    const refused = await call('GET', '/things', { 'x-authdouble-session': 's'.repeat(201) });
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ type: 'about:blank', title: 'Bad session name', status: 400, detail: 'x-authdouble-session must be at most 200 characters' });
    expect((await call('GET', '/things', { 'x-authdouble-session': 's'.repeat(200) })).status).toBe(200);
  });
});

describe('a body of a type the operation does not take: 415, with what to send', () => {
  it.each<[string, Record<string, string>, string, string]>([
    ['no Content-Type', {}, '{"a":"x"}', 'The request has a body but no Content-Type; send application/json'],
    [
      'a form type on a JSON object (what curl --data sends)',
      { 'content-type': 'application/x-www-form-urlencoded' },
      '{"a":"x"}',
      "Content-Type application/x-www-form-urlencoded is not accepted here; send application/json (curl --data sends that type unless told otherwise: add -H 'Content-Type: application/json')",
    ],
    [
      'a form type on a JSON list',
      { 'content-type': 'application/x-www-form-urlencoded' },
      '["x"]',
      "Content-Type application/x-www-form-urlencoded is not accepted here; send application/json (curl --data sends that type unless told otherwise: add -H 'Content-Type: application/json')",
    ],
    ['a form type on a form body: no hint', { 'content-type': 'application/x-www-form-urlencoded' }, 'a=x', 'Content-Type application/x-www-form-urlencoded is not accepted here; send application/json'],
    ['text on a JSON object: no hint', { 'content-type': 'text/plain' }, '{"a":"x"}', 'Content-Type text/plain is not accepted here; send application/json'],
  ])('%s', async (_label, headers, body, message) => {
    const res = await call('POST', '/things', headers, body);
    expect(res.status).toBe(415);
    expect(res.body).toEqual({ error: 'unsupported_media_type', message });
  });

  it('no curl hint where JSON is not accepted either', async () => {
    const res = await call('POST', '/notes', { 'content-type': 'application/x-www-form-urlencoded' }, '{"a":"x"}');
    expect(res.status).toBe(415);
    expect(res.body.message).toBe('Content-Type application/x-www-form-urlencoded is not accepted here; send text/plain');
  });
});

describe('a 400 for a bad request sums up the first three problems', () => {
  it('a body missing four fields: three named in the message, all four in the details', async () => {
    const res = await call('POST', '/things', { 'content-type': 'application/json' }, '{"a":1}');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: 'validation_failed',
      message: 'Invalid request: /b is required; /c is required; /d is required',
    });
  });

  it('a body that is not an object at all: the problem is the body itself', async () => {
    const res = await call('POST', '/things', { 'content-type': 'application/json' }, '[]');
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('Invalid request: body must be object');
  });

  it('parameters are named where they came from: query:limit, header:x-trace', async () => {
    expect((await call('GET', '/things?limit=11')).body.message).toBe('Invalid request: query:limit must be <= 10');
    expect((await call('GET', '/things', { 'x-trace': 'u-1' })).body.message).toBe('Invalid request: header:x-trace must match pattern "^t-"');
    // A header parameter left out is not checked as if it were sent empty.
    expect((await call('GET', '/things', { 'x-trace': 't-1' })).status).toBe(200);
    expect((await call('GET', '/things')).status).toBe(200);
  });
});

describe('the content type of a response whose behaviour names none', () => {
  it('is the one the spec documents for that status, with a charset', async () => {
    const vendor = await call('GET', '/vendor');
    expect(vendor.headers['content-type']).toBe('application/vnd.demo+json; charset=utf-8');
    expect(vendor.body).toEqual({ vendor: true });
    const note = await call('POST', '/notes', { 'content-type': 'text/plain' }, 'milk');
    expect(note.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(note.text).toBe('noted: milk');
    expect(note.headers['content-length']).toBe(String(Buffer.byteLength('noted: milk')));
  });
});

describe('strict mode says how a response breaks the spec', () => {
  it.each([
    ['teapot', 'offSpec answered 418: status 418 is not documented for offSpec'],
    ['empty', 'offSpec answered 200: body is empty; the spec documents application/json'],
    ['html', 'offSpec answered 200: content-type text/html is not documented for 200'],
  ])('%s', async (how, detail) => {
    const res = await call('GET', `/off-spec/${how}`);
    expect(res.status).toBe(500);
    expect(res.headers['x-authdouble-source']).toBe('strict-violation');
    expect(res.body).toEqual({ type: 'about:blank', title: 'Response does not match the spec', status: 500, detail });
  });

  it('a documented 204 without a body is fine, and has no body', async () => {
    const res = await call('GET', '/off-spec/nothing');
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
  });
});
