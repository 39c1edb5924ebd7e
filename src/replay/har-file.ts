/**
 * Reading and writing HAR files. A broken file is a StartupError (the CLI's exit 2) that says
 * where: `session.har:14:7 log.entries[2].request.url: must be string (entry 3)`.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { LineCounter, parseDocument } from 'yaml';
import addFormats from 'ajv-formats';
import { StartupError } from '../errors';
import { toDiagnostics } from '../engine/ajv';
import { readYamlFile } from '../engine/yaml-file';
import { packageRoot } from '../paths';
import type { Har, HarEntry } from './har';

const nameValues = {
  type: 'array',
  items: { type: 'object', required: ['name', 'value'], properties: { name: { type: 'string' }, value: { type: 'string' } } },
};

/** Chromium's `_webSocketMessages`: the frames of the WebSocket an upgrade entry opened. */
const webSocketMessages = {
  type: 'array',
  items: {
    type: 'object',
    required: ['type', 'opcode', 'data'],
    properties: {
      type: { enum: ['send', 'receive'] },
      time: { type: 'number' },
      opcode: { type: 'integer', minimum: 0, maximum: 15 },
      data: { type: 'string' },
    },
  },
};

/** What replay needs of a HAR; browsers' extra fields are let through. */
const harSchema = {
  type: 'object',
  required: ['log'],
  properties: {
    log: {
      type: 'object',
      required: ['entries'],
      properties: {
        entries: {
          type: 'array',
          items: {
            type: 'object',
            required: ['request', 'response'],
            properties: {
              startedDateTime: { type: 'string' },
              request: {
                type: 'object',
                required: ['method', 'url'],
                properties: {
                  method: { type: 'string', minLength: 1 },
                  url: { type: 'string', format: 'uri' },
                  headers: nameValues,
                  cookies: nameValues,
                  queryString: nameValues,
                  postData: {
                    type: 'object',
                    properties: { mimeType: { type: 'string' }, text: { type: 'string' }, params: nameValues },
                  },
                },
              },
              response: {
                type: 'object',
                required: ['status'],
                properties: {
                  status: { type: 'integer' },
                  headers: nameValues,
                  cookies: nameValues,
                  content: {
                    type: 'object',
                    properties: { mimeType: { type: 'string' }, text: { type: 'string' }, encoding: { type: 'string' } },
                  },
                },
              },
              _webSocketMessages: webSocketMessages,
            },
          },
        },
        _authdouble: {
          type: 'object',
          required: ['api', 'baseUrl'],
          properties: { api: { type: 'string' }, baseUrl: { type: 'string', format: 'uri' }, redacted: { type: 'boolean' } },
        },
      },
    },
  },
};

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
const validateHar = ajv.compile(harSchema);

/** Reads and checks a HAR file, filling in the arrays browsers sometimes leave out. */
export function readHar(file: string): Har {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new StartupError(`${file}: cannot read the HAR file: ${reason}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text) as unknown;
  } catch (err) {
    throw new StartupError(`${jsonErrorPlace(file, text, err as Error)}: the HAR file is not valid JSON: ${(err as Error).message}`);
  }
  if (!validateHar(data)) {
    const located = locator(file);
    const lines = toDiagnostics(validateHar.errors).map((d) => `  ${located(d.path)} ${describePointer(d.path)}: ${d.message}`);
    throw new StartupError(`${file}: not a HAR file authdouble can replay:\n${[...new Set(lines)].join('\n')}`);
  }
  const har = data as unknown as Har;
  const frameProblems = har.log.entries.flatMap((entry, i) => webSocketProblems(entry, i));
  if (frameProblems.length > 0) {
    const located = locator(file);
    const lines = frameProblems.map((p) => `  ${located(p.pointer)} ${describePointer(p.pointer)}: ${p.message}`);
    throw new StartupError(`${file}: not a HAR file authdouble can replay:\n${lines.join('\n')}`);
  }
  har.log.entries = har.log.entries.map(normalise);
  return har;
}

/** What the schema cannot say about frames: only an upgrade (GET) has them, binary data is base64. */
function webSocketProblems(entry: HarEntry, index: number): Array<{ pointer: string; message: string }> {
  const messages = entry._webSocketMessages;
  if (messages === undefined) return [];
  const at = `/log/entries/${index}`;
  if (entry.request.method.toUpperCase() !== 'GET') {
    return [{ pointer: `${at}/_webSocketMessages`, message: `frames on a ${entry.request.method} request: only a WebSocket upgrade (GET) has them` }];
  }
  return messages.flatMap((m, j) =>
    m.opcode === 2 && !/^[A-Za-z0-9+/]*={0,2}$/.test(m.data)
      ? [{ pointer: `${at}/_webSocketMessages/${j}/data`, message: 'a binary frame (opcode 2) must be base64' }]
      : [],
  );
}

function normalise(entry: HarEntry): HarEntry {
  const req = entry.request;
  const res = entry.response;
  return {
    ...entry,
    request: { ...req, headers: req.headers ?? [], cookies: req.cookies ?? [], queryString: req.queryString ?? [] },
    response: {
      ...res,
      headers: res.headers ?? [],
      cookies: res.cookies ?? [],
      content: res.content ?? { size: -1, mimeType: '' },
      redirectURL: res.redirectURL ?? '',
    },
  };
}

/** Writes the whole file anew, through a temporary file, so a reader never sees half of it. */
export function writeHar(file: string, har: Har): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(har, null, 2)}\n`);
  renameSync(tmp, file);
}

export function newHar(info: Har['log']['_authdouble'], comment?: string): Har {
  return {
    log: {
      version: '1.2',
      creator: { name: 'authdouble', version: packageVersion() },
      entries: [],
      ...(comment === undefined ? {} : { comment }),
      ...(info === undefined ? {} : { _authdouble: info }),
    },
  };
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/** `/log/entries/2/request/url` → `log.entries[2].request.url (entry 3)`. */
function describePointer(pointer: string): string {
  const parts = pointer.split('/').slice(1);
  const text = parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : `${i === 0 ? '' : '.'}${p}`)).join('') || '(the file)';
  const entry = /^\/log\/entries\/(\d+)/.exec(pointer);
  return entry ? `${text} (entry ${Number(entry[1]) + 1})` : text;
}

function locator(file: string): (pointer: string) => string {
  try {
    const yaml = readYamlFile(file, 'the HAR file');
    return (pointer) => yaml.locate(pointer);
  } catch {
    return () => file;
  }
}

/** `file:line:col` of a JSON syntax error, from the position Node's message gives. */
function jsonErrorPlace(file: string, text: string, err: Error): string {
  const lineCol = /line (\d+) column (\d+)/.exec(err.message);
  if (lineCol) return `${file}:${lineCol[1]}:${lineCol[2]}`;
  const position = /position (\d+)/.exec(err.message);
  if (!position) {
    // Node 20 does not always say where: the YAML parser (JSON is YAML) does.
    const lines = new LineCounter();
    const where = parseDocument(text, { lineCounter: lines }).errors[0]?.linePos?.[0];
    return where ? `${file}:${where.line}:${where.col}` : file;
  }
  const before = text.slice(0, Number(position[1]));
  const line = before.split('\n').length;
  const col = before.length - before.lastIndexOf('\n');
  return `${file}:${line}:${col}`;
}
