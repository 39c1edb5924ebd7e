import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

/**
 * A folder holding a copy of `openapi/b2core.yaml` whose token pair also requires a field the mock
 * never sends, so every successful b2core sign-in breaks the spec: a strict server must turn it into
 * a 500 problem, a lax one passes it through as 200.
 */
export function specDirTheBehaviourBreaks(): { dir: string; remove(): void } {
  const original = readFileSync(path.join(root, 'openapi', 'b2core.yaml'), 'utf8');
  const needle = 'required: [accessToken, refreshToken]';
  if (!original.includes(needle)) throw new Error(`openapi/b2core.yaml no longer has "${needle}"; update this helper`);
  const dir = mkdtempSync(path.join(tmpdir(), 'authdouble-broken-spec-'));
  writeFileSync(path.join(dir, 'b2core.yaml'), original.replace(needle, 'required: [accessToken, refreshToken, notSentByTheMock]'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
