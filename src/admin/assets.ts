import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { MockError } from '../errors';
import type { MockResponse } from '../engine/types';

/** The console's files: plain ES modules and CSS, served as they are (the build copies them to dist/admin/ui). */
export const CONSOLE_DIR = path.join(__dirname, 'ui');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.html': 'text/html',
};

/**
 * A folder's files, read on first request and kept: nothing is read at start-up, so a server that
 * never serves the console pays nothing for it.
 */
export class AssetFolder {
  private files: Map<string, string> | undefined;
  private readonly cache = new Map<string, string>();

  /** @param allow the files served (default: every .js, .css and .svg file of the folder) */
  constructor(
    private readonly dir: () => string,
    private readonly allow?: string[],
  ) {}

  get(file: string): MockResponse {
    const type = TYPES[path.extname(file)];
    if (!this.list().has(file) || type === undefined) throw new MockError('not_found', 404, `No file ${file} here`);
    let body = this.cache.get(file);
    if (body === undefined) {
      body = readFileSync(path.join(this.dir(), file), 'utf8');
      this.cache.set(file, body);
    }
    return { status: 200, body, contentType: type, headers: { 'cache-control': 'no-cache' } };
  }

  private list(): Map<string, string> {
    if (!this.files) {
      const names = this.allow ?? readdirSync(this.dir()).filter((f) => ['.js', '.css', '.svg'].includes(path.extname(f)));
      this.files = new Map(names.map((name) => [name, name]));
    }
    return this.files;
  }
}

/**
 * Swagger UI's distribution files. The build copies the two it needs from the swagger-ui-dist dev
 * dependency to dist/admin/swagger-ui (so installing authdouble pulls in no install-time script);
 * run from source, they come from the package itself.
 */
export function swaggerUiDir(): string {
  const copied = path.join(__dirname, 'swagger-ui');
  return existsSync(copied) ? copied : path.dirname(require.resolve('swagger-ui-dist/package.json'));
}

/** An HTML page from the console folder, with `{{name}}` placeholders filled (values HTML-escaped). */
export function page(file: string, values: Record<string, string> = {}): MockResponse {
  const source = path.join(CONSOLE_DIR, file);
  if (!existsSync(source)) throw new MockError('not_found', 404, `The console's files are not installed (${file} is missing)`);
  const template = readFileSync(source, 'utf8');
  const body = template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => escapeHtml(values[name] ?? ''));
  return { status: 200, body, contentType: 'text/html', headers: { 'cache-control': 'no-cache' } };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
