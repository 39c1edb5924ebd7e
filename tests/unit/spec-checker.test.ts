import { SpecChecker } from '../../src/engine/spec-checker';

const checker = SpecChecker.load('b2core');
const pair = {
  accessToken: { token: 't', createdAt: '2022-01-01T00:00:00+00:00', expiresAt: '2022-01-01T10:00:00+00:00' },
  refreshToken: { token: 'r', createdAt: '2022-01-01T00:00:00+00:00', expiresAt: '2022-01-31T00:00:00+00:00' },
};

describe('SpecChecker', () => {
  it('accepts a documented response', () => {
    const result = checker.check({ method: 'POST', path: '/api/v2/refresh', status: 200, contentType: 'application/json', body: JSON.stringify(pair) });
    expect(result).toEqual({ operationId: 'refreshToken', problems: [] });
  });

  it.each([
    ['an undocumented status', 403, 'application/json', JSON.stringify({ code: 'x', message: 'y' }), /403 is not documented/],
    ['a wrong content type', 200, 'text/html', '<html>', /text\/html is not documented/],
    ['a missing field', 200, 'application/json', JSON.stringify({ accessToken: pair.accessToken }), /refreshToken.*required|must have required property 'refreshToken'/],
    ['a field of the wrong type', 200, 'application/json', JSON.stringify({ ...pair, accessToken: { ...pair.accessToken, token: 5 } }), /must be string/],
    ['broken JSON', 200, 'application/json', '{', /not valid JSON/],
  ])('names %s', (_name, status, contentType, body, message) => {
    const { problems } = checker.check({ method: 'POST', path: '/api/v2/refresh', status, contentType, body });
    expect(problems.map((p) => `${p.path} ${p.message}`).join('; ')).toMatch(message);
  });

  it('says when the request is not in the spec', () => {
    expect(checker.check({ method: 'GET', path: '/nope', status: 200, body: '' }).problems[0]?.message).toMatch(/not in the spec/);
  });
});
