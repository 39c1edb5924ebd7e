/**
 * The shell and TypeScript examples of README.md and docs/*.md, each named by the marker on the
 * line before its fence:
 *
 *     <!-- doc-example: b2core-curl -->
 *     ```sh
 *
 * A test runs each one, either by extracting it (tests/e2e/doc-shell-examples.test.ts, whose source
 * says `doc-example: <id> extracted`) or as a twin test whose source carries the comment
 * `doc-example: <id> <hash>`, the hash being the first 8 hex digits of the block's SHA-256 (so that
 * a changed example without a changed test is caught: tests/unit/doc-examples.test.ts).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '../..');
/** Fence languages that are examples to run. */
export const RUNNABLE = new Set(['sh', 'bash', 'shell', 'console', 'ts', 'typescript', 'js', 'javascript', 'mjs']);

export interface DocExample {
  /** `README.md` or `docs/verify.md`. */
  file: string;
  /** Line of the opening fence (1-based). */
  line: number;
  lang: string;
  id: string | undefined;
  text: string;
  hash: string;
}

export function docFiles(): string[] {
  const docs = readdirSync(path.join(repoRoot, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs.sort()];
}

export function docExamples(): DocExample[] {
  return docFiles().flatMap((file) => {
    const lines = readFileSync(path.join(repoRoot, file), 'utf8').split('\n');
    const found: DocExample[] = [];
    for (let i = 0; i < lines.length; i++) {
      const open = /^```(\w+)\s*$/.exec(lines[i]!);
      if (!open) {
        if (/^```/.test(lines[i]!)) i = closing(lines, i);
        continue;
      }
      const end = closing(lines, i);
      const text = lines.slice(i + 1, end).join('\n');
      if (RUNNABLE.has(open[1]!)) {
        let j = i - 1;
        while (j >= 0 && lines[j]!.trim() === '') j--;
        const id = /^<!-- doc-example: ([\w.-]+) -->$/.exec(lines[j]?.trim() ?? '')?.[1];
        found.push({ file, line: i + 1, lang: open[1]!, id, text, hash: hashOf(text) });
      }
      i = end;
    }
    return found;
  });
}

export function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

export function exampleById(id: string): DocExample {
  const example = docExamples().find((e) => e.id === id);
  if (!example) throw new Error(`no documentation example is marked <!-- doc-example: ${id} -->`);
  return example;
}

function closing(lines: string[], open: number): number {
  for (let k = open + 1; k < lines.length; k++) if (/^```\s*$/.test(lines[k]!)) return k;
  return lines.length;
}
