import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { StartupError } from '../../src/errors';
import { readStateFile } from '../../src/state/persist';

/**
 * What `--state-file` accepts at start-up, and what it refuses, value by value, with the reason the
 * message gives (found unchecked by `npm run mutate`). The server calls readStateFile before it
 * serves anything; a refusal stops start-up (exit code 2 from the CLI) and leaves the file as it is.
 */

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'authdouble-state-refusals-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Milliseconds from 1970-01-01 to 9000-01-01: the clock's range, as the control API allows it. */
const SPAN = Date.UTC(9000, 0, 1);
const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;

type Json = Record<string, unknown>;
const session = (over: Json = {}): Json => ({ name: 'default', clock: { offsetMs: 0 }, store: [], outbox: { nextId: 1, messages: [] }, ...over });
const snapshot = (over: Json = {}): Json => ({ format: 'authdouble-state', version: 1, savedAt: '2026-01-01T00:00:00.000Z', sessions: [session()], ...over });
const withStore = (...store: unknown[]): Json => snapshot({ sessions: [session({ store })] });
const withClock = (clock: unknown): Json => snapshot({ sessions: [session({ clock })] });
const withOutbox = (outbox: unknown): Json => snapshot({ sessions: [session({ outbox })] });
const message = (over: Json = {}): Json => ({ id: 1, api: 'b2core', to: 'a@b.c', subject: 'Code', text: 'Your code is 000123', sentAt: '2026-01-01T00:00:00.000Z', ...over });

const token = { kind: 'access', family: 'f1', token: 't1', issuedAt: 1, expiresAt: 2 };
const family = { subject: 'usr:1', tokens: ['t1'], expiresAt: 2 };

function write(text: string): string {
  const file = path.join(dir, 'state.json');
  writeFileSync(file, text);
  return file;
}

/** The StartupError's message for `text` as the state file, checking the file is left as it was. */
function refusal(text: string): string {
  const file = write(text);
  let caught: unknown;
  try {
    readStateFile(file);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(StartupError);
  expect(readFileSync(file, 'utf8')).toBe(text);
  return (caught as Error).message;
}

describe('a state file that is not one is refused, saying exactly what is wrong', () => {
  it.each<[string, unknown, string]>([
    ['a list', [], '"format" is not "authdouble-state"'],
    ['another version', snapshot({ version: 2 }), 'version 2 is not 1'],
    ['sessions that are not a list', snapshot({ sessions: { default: session() } }), '"sessions" is not a list'],
    ['keys that are not keys', snapshot({ keys: { b2core: { alg: 'EdDSA', kid: 'k', privateKey: 'x' } } }), 'keys.b2core is not {alg, kid, privateKey}'],
    ['a session that is null', snapshot({ sessions: [null] }), 'sessions[0].name is not a name'],
    ['a session without a name', snapshot({ sessions: [session({ name: undefined })] }), 'sessions[0].name is not a name'],
    ['a session with an empty name', snapshot({ sessions: [session({ name: '' })] }), 'sessions[0].name is not a name'],
    ['the second session broken', snapshot({ sessions: [session(), session({ name: 7 })] }), 'sessions[1].name is not a name'],
    ['a session without a clock', snapshot({ sessions: [session({ clock: undefined })] }), 'sessions[0].clock is not a clock'],
    ['a clock offset that is text', withClock({ offsetMs: '0' }), 'sessions[0].clock is not a clock'],
    ['a pinned time that is text', withClock({ offsetMs: 0, pinnedAt: 'now' }), 'sessions[0].clock is not a clock'],
    ['a clock offset past 9000-01-01', withClock({ offsetMs: SPAN + 1 }), `sessions[0].clock.offsetMs ${SPAN + 1} is out of range`],
    ['a clock offset before 1970 by more than the span', withClock({ offsetMs: -SPAN - 1 }), `sessions[0].clock.offsetMs ${-SPAN - 1} is out of range`],
    ['a pinned time at 9000-01-01', withClock({ offsetMs: 0, pinnedAt: SPAN }), `sessions[0].clock.pinnedAt ${SPAN} is out of range`],
    ['a pinned time before 1970', withClock({ offsetMs: 0, pinnedAt: -1 }), 'sessions[0].clock.pinnedAt -1 is out of range'],
    ['a store that is not a list', snapshot({ sessions: [session({ store: {} })] }), 'sessions[0].store is not a list'],
    ['an entry that is not a list', withStore({ key: 'a' }), 'sessions[0].store[0] is not [key, value, expiresAt]'],
    ['an entry of two items', withStore(['a:b:c', 1]), 'sessions[0].store[0] is not [key, value, expiresAt]'],
    ['an entry of four items', withStore(['a:b:c', 1, null, 4]), 'sessions[0].store[0] is not [key, value, expiresAt]'],
    ['an entry whose key is a number', withStore([1, 1, null]), 'sessions[0].store[0] is not [key, value, expiresAt]'],
    ['an entry whose expiry is text', withStore(['a:b:c', 1, 'never']), 'sessions[0].store[0] is not [key, value, expiresAt]'],
    ['the second entry broken', withStore(['a:b:c', 1, null], ['a:b:d']), 'sessions[0].store[1] is not [key, value, expiresAt]'],
    ['a subject list holding a number', withStore(['vault:subject:usr:1', ['f1', 2], null]), 'sessions[0].store[0] (vault:subject:usr:1): is not a list of session ids'],
    ['a session record that is a list', withStore(['b2core:family:f1', [], null]), 'sessions[0].store[0] (b2core:family:f1): is not a session'],
    ['a session record without a subject', withStore(['b2core:family:f1', { ...family, subject: 1 }, null]), 'sessions[0].store[0] (b2core:family:f1): is not a session'],
    ['a session record whose tokens are neither a list nor a string', withStore(['b2core:family:f1', { ...family, tokens: 5 }, null]), 'sessions[0].store[0] (b2core:family:f1): is not a session'],
    ['a session record without an expiry', withStore(['b2core:family:f1', { ...family, expiresAt: undefined }, null]), '(b2core:family:f1): expiresAt is not a number'],
    ['a token that is null', withStore(['b2core:token:t1', null, null]), '(b2core:token:t1): is not a token'],
    ['a token without a kind', withStore(['b2core:token:t1', { ...token, kind: 1 }, null]), '(b2core:token:t1): is not a token'],
    ['a token without a family', withStore(['b2core:token:t1', { ...token, family: undefined }, null]), '(b2core:token:t1): is not a token'],
    ['a token without its value', withStore(['b2core:token:t1', { ...token, token: 5 }, null]), '(b2core:token:t1): is not a token'],
    ['a token issued at no time', withStore(['b2core:token:t1', { ...token, issuedAt: '1' }, null]), '(b2core:token:t1): issuedAt is not a number'],
    ['a rate-limit counter that is text', withStore(['b2core:ratelimit:a@b.c', 'three', 5]), '(b2core:ratelimit:a@b.c): is not a rate-limit counter'],
    ['a rate-limit counter without a count', withStore(['b2core:ratelimit:a@b.c', { windowStart: 1 }, 5]), '(b2core:ratelimit:a@b.c): count is not a number'],
    ['a rate-limit counter without a window', withStore(['b2core:ratelimit:a@b.c', { count: 1 }, 5]), '(b2core:ratelimit:a@b.c): windowStart is not a number'],
    ['a user that is a list', withStore(['khe:user:a@b.c', [], null]), '(khe:user:a@b.c): is not a user'],
    ['an outbox that is a list', withOutbox([]), 'sessions[0].outbox is not an outbox'],
    ['an outbox without a next id', withOutbox({ messages: [] }), 'sessions[0].outbox is not an outbox'],
    ['an outbox whose messages are not a list', withOutbox({ nextId: 1, messages: {} }), 'sessions[0].outbox is not an outbox'],
    ['a message that is null', withOutbox({ nextId: 2, messages: [null] }), 'sessions[0].outbox.messages[0] is not a message'],
    ['a message whose id is text', withOutbox({ nextId: 2, messages: [message({ id: '1' })] }), 'sessions[0].outbox.messages[0] is not a message'],
    ['a message without a recipient', withOutbox({ nextId: 2, messages: [message({ to: undefined })] }), 'sessions[0].outbox.messages[0] is not a message'],
    ['a message whose code is a number', withOutbox({ nextId: 3, messages: [message(), message({ id: 2, code: 123 })] }), 'sessions[0].outbox.messages[1] is not a message'],
  ])('%s', (_label, data, reason) => {
    const text = JSON.stringify(data);
    const msg = refusal(text);
    // A record's reason follows where it is: `sessions[0].store[0] (key): ...`.
    const where = reason.startsWith('(') ? `sessions[0].store[0] ${reason}` : reason;
    expect(msg).toBe(
      `state file ${path.join(dir, 'state.json')} is not an authdouble state file (${where}); it was left as it is. ` +
        'Fix it, move it away or point --state-file elsewhere.',
    );
  });

  it('a number too large for a double is not a number (JSON reads 1e999 as Infinity)', () => {
    const text = JSON.stringify(withStore(['b2core:family:f1', family, null])).replace('"expiresAt":2', '"expiresAt":1e999');
    expect(refusal(text)).toContain('(b2core:family:f1): expiresAt is not a number');
  });

  it('a record key is quoted up to 80 characters', () => {
    const key = `khe:user:${'x'.repeat(100)}`;
    const msg = refusal(JSON.stringify(withStore([key, 'not a user', null])));
    expect(msg).toContain(`(${key.slice(0, 80)}): is not a user`);
    expect(msg).not.toContain(key.slice(0, 81));
  });

  it('text that is not JSON, with the parser\'s reason', () => {
    expect(refusal('{"format": ')).toMatch(/is not an authdouble state file \(not valid JSON: .+\); it was left as it is/);
  });

  it('a folder given as the file', () => {
    const file = path.join(dir, 'state.json');
    mkdirSync(file);
    expect(() => readStateFile(file)).toThrow(`state file ${file}: cannot be read (it is a folder)`);
  });

  it('a file in a folder that does not exist', () => {
    const file = path.join(dir, 'missing', 'state.json');
    expect(() => readStateFile(file)).toThrow(`state file ${file}: its folder ${path.join(dir, 'missing')} does not exist`);
  });

  it('a file whose "folder" is a file', () => {
    writeFileSync(path.join(dir, 'plain'), '');
    const file = path.join(dir, 'plain', 'state.json');
    expect(() => readStateFile(file)).toThrow(`its folder ${path.join(dir, 'plain')} does not exist`);
  });
});

describe('what a state file may hold', () => {
  it('no file, an empty one or blank lines: nothing to restore', () => {
    expect(readStateFile(path.join(dir, 'none.json'))).toBeUndefined();
    expect(readStateFile(write(''))).toBeUndefined();
    expect(readStateFile(write(' \n\t\n'))).toBeUndefined();
  });

  it('every value at the edge of what is allowed, and records of kinds the server does not check', () => {
    const data = snapshot({
      keys: { sama: { alg: 'EdDSA', kid: 'sama-1', privateKey: pem } },
      sessions: [
        session({ clock: { offsetMs: SPAN } }),
        session({ name: 'past', clock: { offsetMs: -SPAN, pinnedAt: 0 } }),
        session({ name: 'pinned', clock: { offsetMs: 0, pinnedAt: SPAN - 1 } }),
        session({
          name: 'records',
          store: [
            ['vault:subject:usr:1', ['f1', 'f2'], null],
            ['vault:subject:usr:2', [], 5],
            ['b2core:family:f1', family, 2],
            // Token digests kept as one space-separated string (since issue 18), or as a list (before).
            ['b2core:family:f2', { ...family, tokens: 'd1 d2' }, 2],
            ['b2core:token:t1', token, 2],
            ['b2core:ratelimit:a@b.c', { count: 0, windowStart: 0 }, 5],
            ['khe:user:a@b.c', { email: 'a@b.c' }, null],
            ['sama:other:x', 'anything', null],
            ['nocolon', null, null],
          ],
          outbox: { nextId: 3, messages: [message(), message({ id: 2, code: '000123' })] },
        }),
      ],
    });
    expect(readStateFile(write(JSON.stringify(data)))).toEqual(data);
  });
});
