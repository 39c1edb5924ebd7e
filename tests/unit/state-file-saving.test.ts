import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KeyRing } from '../../src/apis/shared/keys';
import { readStateFile, StateFile } from '../../src/state/persist';
import { Sessions } from '../../src/state/sessions';
import { recorder } from '../helpers/logger';

/**
 * How `--state-file` saves (rules `npm run mutate` found unchecked): the writer saves only when
 * something changed, keys made count as a change, connection-bound entries are not kept, the file is
 * valid JSON whatever is left out, and start-up says what it restored.
 */

let dir: string;
let file: string;
const open: StateFile[] = [];
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'authdouble-state-saving-'));
  file = path.join(dir, 'state.json');
});
afterEach(() => {
  open.splice(0).forEach((s) => s.stop());
  rmSync(dir, { recursive: true, force: true });
});

function openState(sessions: Sessions, options: Parameters<typeof StateFile.open>[3] = {}, logger = recorder()): StateFile {
  const state = StateFile.open(file, sessions, logger, { intervalMs: 3_600_000, ...options });
  open.push(state);
  return state;
}

describe('the state file writer saves only what changed', () => {
  it('nothing to save right after start; a change is; a save clears it', async () => {
    const sessions = new Sessions();
    const state = openState(sessions);
    expect(state.dirty).toBe(false);
    sessions.get('default').store.set('khe:user:a@b.c', { email: 'a@b.c' });
    expect(state.dirty).toBe(true);
    await state.save();
    expect(state.dirty).toBe(false);
    expect(readStateFile(file)!.sessions[0]!.store).toEqual([['khe:user:a@b.c', { email: 'a@b.c' }, null]]);
  });

  it('a signing key made since the last save is a change (so tokens verify after a restart)', async () => {
    const sessions = new Sessions();
    const keys = new KeyRing();
    const state = openState(sessions, { keys });
    expect(state.dirty).toBe(false);
    const key = await keys.get('sama', 'EdDSA');
    expect(state.dirty).toBe(true);
    await state.save();
    expect(state.dirty).toBe(false);
    expect(readStateFile(file)!.keys!.sama!.kid).toBe(key.kid);
  });

  it('the time of the save is the clock given, or now', async () => {
    await openState(new Sessions(), { now: () => new Date(Date.UTC(2031, 4, 6)) }).save();
    expect(readStateFile(file)!.savedAt).toBe('2031-05-06T00:00:00.000Z');
    const before = Date.now();
    await StateFile.open(path.join(dir, 'other.json'), new Sessions(), recorder()).close();
    const savedAt = Date.parse(readStateFile(path.join(dir, 'other.json'))!.savedAt);
    expect(savedAt).toBeGreaterThanOrEqual(before - 1000);
  });
});

describe('what a save keeps', () => {
  it('not the bindings of open WebSockets (their connections do not survive a restart)', async () => {
    const sessions = new Sessions();
    const store = sessions.get('default').store;
    store.set('sama:socket:c1', { user: 'u1' });
    store.set('sama:user:u1', { login: 'u1' });
    await openState(sessions).save();
    expect(readStateFile(file)!.sessions[0]!.store).toEqual([['sama:user:u1', { login: 'u1' }, null]]);
  });

  it('a valid file when a whole batch of entries is left out', async () => {
    const sessions = new Sessions();
    const store = sessions.get('default').store;
    // 256 entries are written at a time: the first batch holds only socket bindings.
    for (let i = 0; i < 300; i++) store.set(`sama:socket:c${i}`, { user: 'u1' });
    store.set('sama:user:u1', { login: 'u1' });
    store.set('sama:user:u2', { login: 'u2' }, 60_000);
    await openState(sessions).save();
    const saved = readStateFile(file)!.sessions[0]!.store;
    expect(saved.map(([key]) => key)).toEqual(['sama:user:u1', 'sama:user:u2']);
    expect(saved[1]![2]).toBeGreaterThan(Date.now());
  });
});

describe('start-up from a state file says what it restored', () => {
  it('sessions, entries and when they were saved', () => {
    const text = JSON.stringify({
      format: 'authdouble-state',
      version: 1,
      savedAt: '2031-05-06T00:00:00.000Z',
      sessions: [
        { name: 'default', clock: { offsetMs: 0 }, store: [['khe:user:a@b.c', { email: 'a@b.c' }, null]], outbox: { nextId: 1, messages: [] } },
        {
          name: 'other',
          clock: { offsetMs: 0 },
          store: [
            ['khe:user:c@d.e', { email: 'c@d.e' }, null],
            ['khe:user:f@g.h', { email: 'f@g.h' }, null],
          ],
          outbox: { nextId: 1, messages: [] },
        },
      ],
    });
    writeFileSync(file, text);
    const logger = recorder();
    const sessions = new Sessions();
    const state = openState(sessions, {}, logger);
    expect(logger.lines).toEqual([`info state restored from ${file}: 2 session(s), 3 entries, saved 2031-05-06T00:00:00.000Z`]);
    expect(sessions.get('other').store.get('khe:user:f@g.h')).toEqual({ email: 'f@g.h' });
    // Restoring is not a change to save.
    expect(state.dirty).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('nothing when there was no file', () => {
    const logger = recorder();
    openState(new Sessions(), {}, logger);
    expect(logger.lines).toEqual([]);
  });
});
