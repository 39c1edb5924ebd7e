/**
 * Every shell and TypeScript example in README.md and docs/*.md is run by a test. This lists them
 * (one test per example) and fails when one has no `<!-- doc-example: <id> -->` marker, when no test
 * names its id, or when the example changed since its twin test last said what it runs (the hash in
 * the twin's `doc-example: <id> <hash>` comment). See tests/helpers/doc-examples.ts.
 *
 * Adding an example: put `<!-- doc-example: some-id -->` on the line before the fence, then either
 * add it to tests/e2e/doc-shell-examples.test.ts (shell sessions against a server) or write a test
 * that does what it shows and carries the comment `// doc-example: some-id <hash>`; this test's
 * failure message gives the hash.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { docExamples, repoRoot } from '../helpers/doc-examples';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'node_modules' ? [] : sources(full);
    return /\.(ts|js|mjs)$/.test(name) ? [full] : [];
  });
}

const mentions = new Map<string, { file: string; tag: string }[]>();
for (const file of [...sources(path.join(repoRoot, 'tests')), ...sources(path.join(repoRoot, 'examples'))]) {
  for (const m of readFileSync(file, 'utf8').matchAll(/doc-example: ([\w.-]+) (extracted|[0-9a-f]{8})\b/g)) {
    const list = mentions.get(m[1]!) ?? [];
    list.push({ file: path.relative(repoRoot, file), tag: m[2]! });
    mentions.set(m[1]!, list);
  }
}

const examples = docExamples();


describe('documentation examples', () => {
  it('finds the examples (the listing below is not empty)', () => {
    expect(examples.filter((e) => e.file === 'README.md').length).toBeGreaterThan(5);
  });

  it('gives each example its own id', () => {
    const ids = examples.map((e) => e.id).filter((id) => id !== undefined);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });

  it.each(
    examples.map((e) => [`${e.file}:${e.line} (${e.lang}) ${e.id ?? '(no id)'}`, e] as const),
  )('%s is run by a test', (_title, example) => {
    if (example.id === undefined) {
      throw new Error(`${example.file}:${example.line}: put <!-- doc-example: <id> --> on the line before this ${example.lang} block, and a test that runs it`);
    }
    const tests = mentions.get(example.id) ?? [];
    if (tests.length === 0) {
      throw new Error(
        `${example.file}:${example.line}: no test runs doc-example ${example.id}: extract it in tests/e2e/doc-shell-examples.test.ts, or write a twin test carrying "// doc-example: ${example.id} ${example.hash}"`,
      );
    }
    const stale = tests.filter((t) => t.tag !== 'extracted' && t.tag !== example.hash);
    if (stale.length > 0) {
      throw new Error(
        `${example.file}:${example.line}: doc-example ${example.id} changed since ${stale.map((t) => t.file).join(', ')} last matched it: make the test do what the example now shows, then set its hash to ${example.hash}`,
      );
    }
  });
});
