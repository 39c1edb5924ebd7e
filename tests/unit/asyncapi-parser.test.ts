/**
 * asyncapi/sama.yaml as the official AsyncAPI parser reads it (our own tests read it with our own
 * code, which would not notice AsyncAPI syntax errors): no error and no warning.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Parser } from '@asyncapi/parser';

const file = path.join(__dirname, '../../asyncapi/sama.yaml');
const ERROR = 0;
const WARNING = 1;

async function diagnose(text: string) {
  const { document, diagnostics } = await new Parser().parse(text, { source: file });
  return { document, problems: diagnostics.filter((d) => d.severity === ERROR || d.severity === WARNING).map((d) => `${d.code}: ${d.message} at ${d.path.join('.')}`) };
}

describe('@asyncapi/parser', () => {
  it('parses asyncapi/sama.yaml with no error or warning', async () => {
    const { document, problems } = await diagnose(readFileSync(file, 'utf8'));
    expect(problems).toEqual([]);
    expect(document?.info().title()).toMatch(/SAMA/);
    expect(document?.channels().length).toBeGreaterThan(0);
  });

  it('rejects OpenAPI syntax in an AsyncAPI 3.0 document (the check can fail)', async () => {
    const text = readFileSync(file, 'utf8').replace(/^( {2}license:\n {4}name: MIT\n)/m, '$1    identifier: MIT\n');
    expect(text).toContain('identifier: MIT');
    const { document, problems } = await diagnose(text);
    expect(document).toBeUndefined();
    expect(problems.join('\n')).toMatch(/"identifier" is not expected/);
  });
});
