import { CookieJar } from '../../src/contract/cookie-jar';
import { loadChecks } from '../../src/contract';
import { mismatch } from '../../src/contract/match';
import { interpolate, MissingValue } from '../../src/contract/template';
import { StartupError } from '../../src/errors';

describe('verify building blocks', () => {
  describe('expectations: partial match with operators', () => {
    it.each([
      [{ a: 1 }, { a: 1, b: 2 }, undefined],
      [{ a: 1 }, { a: 2 }, '/a is 2, expected 1'],
      [{ a: { b: 'x' } }, { a: {} }, '/a/b is missing'],
      [['x'], ['x', 'y'], 'the value has 2 items, expected 1'],
      [{ t: { $match: '^Bearer$' } }, { t: 'Bearer' }, undefined],
      [{ t: { $match: '^a' } }, { t: 'ba' }, '/t is "ba", expected to match /^a/'],
      [{ n: { $type: 'integer' } }, { n: 1.5 }, '/n is 1.5, expected an integer'],
      [{ n: { $type: 'number' } }, { n: 2 }, undefined],
      [{ gone: { $exists: false } }, { other: 1 }, undefined],
      [{ gone: { $exists: false } }, { gone: 0 }, '/gone is present (0), expected it absent'],
      [{ s: { $not: 'old' } }, { s: 'new' }, undefined],
      [{ s: { $not: 'old' } }, { s: 'old' }, '/s is "old", expected anything else'],
      [{}, 'text', 'the value is "text", expected an object'],
    ])('%j against %j', (expected, actual, problem) => {
      expect(mismatch(expected, actual)).toBe(problem);
    });
  });

  describe('placeholders', () => {
    const scope = { accounts: { user: { email: 'a@b.c' } }, n: 5, saved: 'tok' };
    it('keeps the type of a whole placeholder and writes others into the text', () => {
      expect(interpolate({ repeat: '${n}', header: 'Bearer ${saved}', deep: ['${accounts.user.email}'] }, scope)).toEqual({
        repeat: 5,
        header: 'Bearer tok',
        deep: ['a@b.c'],
      });
    });
    it('says which value is missing', () => {
      expect(() => interpolate('${accounts.twofa.email}', scope)).toThrow(new MissingValue('accounts.twofa.email'));
    });
  });

  describe('the cookie jar of a check', () => {
    it('keeps, replaces and clears cookies as a browser does', () => {
      const jar = new CookieJar();
      jar.take(['refresh_token=one; Max-Age=60; HttpOnly', 'other=x'], 0);
      expect(jar.header()).toBe('refresh_token=one; other=x');
      jar.take(['refresh_token=two; Max-Age=60'], 0);
      expect(jar.get('refresh_token')).toBe('two');
      jar.take(['refresh_token=; Max-Age=0'], 0);
      jar.take(['other=y; Expires=Thu, 01 Jan 1970 00:00:00 GMT'], 1000);
      expect(jar.header()).toBeUndefined();
    });
  });

  it('refuses to run without the shipped flows', () => {
    expect(() => loadChecks('b2core', [], '/nowhere')).toThrow(new StartupError('/nowhere/b2core.yaml: the shipped flows of b2core are missing (is the package complete?)'));
  });
});
