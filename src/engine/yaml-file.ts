import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Document, LineCounter } from 'yaml';
import { StartupError } from '../errors';
import { packageRoot } from '../paths';

/** A parsed YAML (or JSON) file that can say where a JSON pointer into it sits. */
export interface YamlFile {
  file: string;
  data: unknown;
  /** `file:line:col` of the node at `pointer`, or of its closest existing parent. */
  locate(pointer: string): string;
}

export function readYamlFile(file: string, what: string): YamlFile {
  const cached = readCache(file);
  if (cached !== undefined) {
    // Positions are only needed for error messages: parse the YAML then, not now.
    let parsed: YamlFile | undefined;
    return { file, data: cached, locate: (pointer) => (parsed ??= parseYamlFile(file, what)).locate(pointer) };
  }
  return parseYamlFile(file, what);
}

function parseYamlFile(file: string, what: string): YamlFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new StartupError(`${file}: cannot read ${what}: ${reason}`);
  }
  // The yaml module is loaded only when a file has to be parsed (the package's own come from the cache).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { LineCounter: Lines, parseDocument } = require('yaml') as typeof import('yaml');
  const lineCounter = new Lines();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const [first] = doc.errors;
  if (first) {
    const pos = first.linePos?.[0];
    const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
    throw new StartupError(`${where}: ${what} is not valid YAML: ${(first.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  return { file, data, locate: (pointer) => locate(doc, lineCounter, file, pointer) };
}

/**
 * The package's own YAML files (specs, default fixtures) are parsed once at build time into
 * dist/yaml-cache (scripts/cache-yaml.js): parsing YAML is the slowest part of start-up. A cache entry
 * counts only while the file's content has the digest it was made from.
 */
export const yamlCacheDir = path.join(packageRoot, 'dist', 'yaml-cache');

export function yamlCacheFile(file: string): string | undefined {
  const relative = path.relative(packageRoot, path.resolve(file));
  return relative.startsWith('..') || path.isAbsolute(relative) ? undefined : path.join(yamlCacheDir, `${relative}.json`);
}

function readCache(file: string): unknown {
  const cacheFile = yamlCacheFile(file);
  if (!cacheFile) return undefined;
  try {
    const entry = JSON.parse(readFileSync(cacheFile, 'utf8')) as { sha256?: string; data: unknown };
    return entry.sha256 !== undefined && entry.sha256 === fileDigest(file) ? entry.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A digest of a file's content: what a build-time cache entry is checked against (not the file's
 * time, which `npm pack` sets to a fixed date in the tarball).
 */
export function fileDigest(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('base64url');
}

function locate(doc: Document, lines: LineCounter, file: string, pointer: string): string {
  const path = pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n).map(asKey), true);
    const range = (node as { range?: [number, number, number] } | null)?.range;
    if (node && range) {
      const { line, col } = lines.linePos(range[0]);
      return `${file}:${line}:${col}`;
    }
  }
  return file;
}

function asKey(segment: string): string | number {
  return /^\d+$/.test(segment) ? Number(segment) : segment;
}

