import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StartupError } from '../../src/errors';
import { startTestServer } from '../helpers/server';

const dir = mkdtempSync(path.join(tmpdir(), 'authdouble-state-values-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const stateWith = (session: Record<string, unknown>) =>
  JSON.stringify({
    format: 'authdouble-state',
    version: 1,
    savedAt: '2026-01-01T00:00:00.000Z',
    sessions: [{ name: 'default', clock: { offsetMs: 0 }, store: [], outbox: { nextId: 1, messages: [] }, ...session }],
  });

describe('a state file is checked value by value at load', () => {
  it.each([
    ['a vault subject list that is not a list', { store: [['vault:subject:usr:1', 'notalist', null]] }, /sessions\[0\]\.store\[0\] \(vault:subject:usr:1\): is not a list/],
    ['a khe user that is not a user', { store: [['khe:user:abc', 'oops', null]] }, /sessions\[0\]\.store\[0\] \(khe:user:abc\): is not a user/],
    ['a token whose expiry is not a number', { store: [['b2core:token:x', { kind: 'access', family: 'f', token: 't', issuedAt: 1, expiresAt: 'later' }, null]] }, /expiresAt is not a number/],
    ['a clock offset out of range', { clock: { offsetMs: 1e300 } }, /sessions\[0\]\.clock\.offsetMs .* out of range/],
    ['a pinned clock before 1970', { clock: { offsetMs: 0, pinnedAt: -1e17 } }, /sessions\[0\]\.clock\.pinnedAt .* out of range/],
  ])('%s stops start-up, naming where, and leaves the file as it was', async (_label, session, message) => {
    const file = path.join(dir, `${Math.random().toString(36).slice(2)}.json`);
    const text = stateWith(session);
    writeFileSync(file, text);
    const err = await startTestServer({ stateFile: file }).then(
      async (s) => {
        await s.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StartupError);
    expect((err as Error).message).toMatch(message);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });
});
