import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { StartupError } from '../errors';

/** A parsed YAML (or JSON) file that can say where a JSON pointer into it sits. */
export interface YamlFile {
  file: string;
  data: unknown;
  /** `file:line:col` of the node at `pointer`, or of its closest existing parent. */
  locate(pointer: string): string;
}

export function readYamlFile(file: string, what: string): YamlFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new StartupError(`${file}: cannot read ${what}: ${reason}`);
  }
  const lineCounter = new LineCounter();
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

