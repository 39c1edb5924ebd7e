import { fixtureStartupError, fixturesFolder, startTestServer } from '../helpers/server';
import { bearer, refreshCookieOf, samaFixtureText, setCookie, U1 } from '../helpers/sama';

/** The default fixture with its cookie settings replaced. */
function withCookie(settings: string): string {
  const text = samaFixtureText().replace(/^cookie:\n(?: {2}.*\n|\n)*/m, `cookie:\n${settings}\n\n`);
  expect(text).toContain(settings);
  return text;
}

describe('sama cookie.sameSite', () => {
  it.each([
    ['  sameSite: Strict', /; HttpOnly; SameSite=Strict$/],
    ['  sameSite: Lax', /; HttpOnly; SameSite=Lax$/],
    ['  secure: false', /; HttpOnly; SameSite=Lax$/],
    ['  sameSite: None', /; HttpOnly; Secure; SameSite=None$/],
    ['  sameSite: None\n  secure: true', /; HttpOnly; Secure; SameSite=None$/],
    ['  sameSite: Strict\n  secure: true', /; HttpOnly; Secure; SameSite=Strict$/],
  ])('%s: the login and the logout mark the cookie as set', async (settings, marks) => {
    const { dir } = fixturesFolder('sama', withCookie(settings));
    const server = await startTestServer({ apis: ['sama'], fixturesDir: dir });
    try {
      const res = await server.api('sama').post('/login').send(U1).expect(200);
      expect(setCookie(res)).toMatch(marks);
      const out = await server
        .api('sama')
        .post('/logout')
        .set(...bearer(res.body.access_token))
        .set('Cookie', `refresh_token=${refreshCookieOf(res)}`)
        .expect(200);
      expect(setCookie(out)).toMatch(marks);
    } finally {
      await server.close();
    }
  });

  it('refuses sameSite None with secure: false at load, saying why', async () => {
    const { message, file } = await fixtureStartupError('sama', withCookie('  sameSite: None\n  secure: false'));
    expect(message).toContain(file);
    expect(message).toMatch(/cookie\/secure.*sameSite None needs Secure/);
  });

  it('refuses a SameSite value browsers do not know', async () => {
    const { message } = await fixtureStartupError('sama', withCookie('  sameSite: lax'));
    expect(message).toMatch(/sameSite/);
    expect(message).toMatch(/Strict|allowed/);
  });
});
