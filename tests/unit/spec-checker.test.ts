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

  // The tests below were added for mutants `npm run mutate` found surviving in spec-checker.ts.
  it('names the request, exactly, when the path is known but not with that method', () => {
    expect(checker.check({ method: 'DELETE', path: '/api/v2/signin', status: 405, body: '' })).toEqual({
      problems: [{ path: 'request', message: 'DELETE /api/v2/signin is not in the spec' }],
    });
  });

  it('holds a HEAD exchange to the GET operation by its status only', () => {
    const head = (status: number) => checker.check({ method: 'HEAD', path: '/api/v2/session', status, contentType: 'application/json', body: '' });
    expect(head(200)).toEqual({ operationId: 'getSession', problems: [] });
    expect(head(418)).toEqual({ operationId: 'getSession', problems: [{ path: 'status', message: '418 is not documented for getSession' }] });
    // A GET is held to its body too: the same empty answer breaks it.
    expect(checker.check({ method: 'get', path: '/api/v2/session', status: 200, contentType: 'application/json', body: '' }).problems).not.toEqual([]);
  });

  it('takes an empty body as no body, whatever the content type says', () => {
    expect(checker.check({ method: 'POST', path: '/api/v2/signout', status: 200, contentType: 'application/json', body: '' })).toEqual({
      operationId: 'signOut',
      problems: [],
    });
  });

  it('names broken JSON exactly, with the media type', () => {
    expect(checker.check({ method: 'POST', path: '/api/v2/refresh', status: 200, contentType: 'application/json; charset=utf-8', body: '{' })).toEqual({
      operationId: 'refreshToken',
      problems: [{ path: 'body', message: 'is not valid JSON although the type is application/json' }],
    });
  });

  it('does not parse a body that is not JSON', () => {
    const { problems } = checker.check({ method: 'POST', path: '/api/v2/refresh', status: 200, contentType: 'text/plain', body: '{' });
    expect(problems.map((p) => p.message).join('; ')).not.toMatch(/not valid JSON/);
  });
});
