import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { MockError } from '../errors';
import { defaultSpecDir, packageRoot } from '../paths';

/** Where the specs the server serves come from, and where each API is mounted. */
export interface SpecSources {
  specDir: string;
  /** API id → mount prefix (`/b2core`, or '' at the root); `admin` → `/__admin`. */
  prefixes: Map<string, string>;
  /** Served over TLS (https://, wss://). */
  https?: boolean;
}

/** A `Host` header as a client sends it: a name or IPv4 address, or a bracketed IPv6 one, and a port. */
const HOST = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/**
 * `<api>.yaml|json` (OpenAPI) or `<api>.asyncapi.yaml|json` (AsyncAPI) with `servers` naming the
 * URL this request reached the server at. Read from disk on each call: they are small, and asked for
 * rarely (by a docs page or a client generator).
 */
export function renderSpec(sources: SpecSources, file: string, host: string | undefined): { body: unknown; contentType: string } {
  const match = /^([a-z0-9-]+)(\.asyncapi)?\.(yaml|json)$/.exec(file);
  if (!match) throw new MockError('not_found', 404, `No spec is served as ${file}; ask for <api>.yaml or <api>.json`);
  const [, api = '', asyncapi, format] = match;
  const prefix = sources.prefixes.get(api);
  if (prefix === undefined) {
    throw new MockError('not_found', 404, `This server serves no API "${api}"; it serves ${[...sources.prefixes.keys()].join(', ')}`);
  }
  if (host === undefined || !HOST.test(host)) throw new MockError('bad_host', 400, 'The request needs a Host header naming this server');
  const source = asyncapi
    ? path.join(packageRoot, 'asyncapi', `${api}.yaml`)
    : path.join(api === 'admin' ? defaultSpecDir : sources.specDir, `${api}.yaml`);
  if (!existsSync(source)) throw new MockError('not_found', 404, `${api} has no ${asyncapi ? 'AsyncAPI document' : 'spec'}`);
  const doc = parseDocument(readFileSync(source, 'utf8'));
  if (asyncapi) {
    doc.set('servers', doc.createNode({ authdouble: { host, pathname: prefix || '/', protocol: sources.https ? 'wss' : 'ws', description: 'this authdouble server' } }));
  } else {
    doc.set('servers', doc.createNode([{ url: `${sources.https ? 'https' : 'http'}://${host}${prefix}`, description: 'this authdouble server' }]));
  }
  return format === 'json'
    ? { body: doc.toJS(), contentType: 'application/json' }
    : { body: doc.toString({ lineWidth: 0 }), contentType: 'application/yaml' };
}
