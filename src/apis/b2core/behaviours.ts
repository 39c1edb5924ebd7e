import { randomUUID } from 'node:crypto';
import { MockError } from '../../errors';
import type { Behaviour, Credential, OperationRequest, RequestContext } from '../../engine/types';
import { countAttempt } from '../shared/rate-limit';
import { numericCode, safeEqual } from '../shared/secrets';
import { TokenBook, type TokenCheck } from '../shared/token-book';
import type { JwtSigner } from '../shared/jwt';
import type { B2CoreFixture, B2CoreUser } from './fixture';

interface PendingTwoFactor {
  userId: string;
  code: string;
  expiresAt: number;
}

interface TokenDetails {
  token: string;
  createdAt: string;
  expiresAt: string;
}

const ACCESS = 'access';
const REFRESH = 'refresh';

/** The B2Core behaviours, by operationId, over the fixture's users and the API's signing key. */
export function createBehaviours(fixture: B2CoreFixture, signer: JwtSigner): Record<string, Behaviour> {
  const byEmail = new Map(fixture.users.map((u) => [u.email.toLowerCase(), u]));
  const byId = new Map(fixture.users.map((u) => [u.id, u]));
  const { tokens, rateLimits } = fixture;

  async function issuePair(ctx: RequestContext, book: TokenBook, user: B2CoreUser, family: string) {
    const now = ctx.clock.now();
    const claims = { sub: user.id, iss: fixture.issuer };
    const [access, refresh] = await Promise.all([
      signer.sign(claims, now, tokens.accessTokenSeconds),
      signer.sign(claims, now, tokens.refreshTokenSeconds),
    ]);
    // Signing awaited: the session may have been signed out meanwhile. Its new tokens must not live.
    if (!book.familyAlive(family)) throw tokenError({ ok: false, reason: 'revoked' });
    const createdAt = Math.floor(now / 1000) * 1000;
    const details = (token: string, kind: string, seconds: number): TokenDetails => {
      const expiresAt = createdAt + seconds * 1000;
      book.issue(token, { kind, family, subject: user.id, issuedAt: createdAt, expiresAt });
      return { token, createdAt: isoSeconds(createdAt), expiresAt: isoSeconds(expiresAt) };
    };
    return {
      accessToken: details(access, ACCESS, tokens.accessTokenSeconds),
      refreshToken: details(refresh, REFRESH, tokens.refreshTokenSeconds),
    };
  }

  const startSession = (ctx: RequestContext, book: TokenBook, user: B2CoreUser) =>
    issuePair(ctx, book, user, book.startFamily(user.id, tokens.refreshTokenSeconds * 1000));

  const signIn: Behaviour = async (req, ctx) => {
    const { email, password } = req.body as { email: string; password: string };
    countAttempt(ctx, `signin:${email.toLowerCase()}`, rateLimits.signIn);
    const user = byEmail.get(email.toLowerCase());
    // Compare even for unknown users, so timing does not tell which e-mails exist.
    const passwordOk = safeEqual(user?.password ?? '\u0000', password);
    if (!user || !passwordOk) throw new MockError('invalid_credentials', 401, 'Wrong e-mail or password');

    if (user.twoFactor) {
      const token = randomUUID();
      const code = user.twoFactorCode ?? numericCode(6);
      const expiresAt = ctx.clock.now() + tokens.twoFactorTokenSeconds * 1000;
      ctx.store.set<PendingTwoFactor>(`2fa:${token}`, { userId: user.id, code, expiresAt }, tokens.twoFactorTokenSeconds * 1000);
      ctx.outbox.send({
        to: user.email,
        subject: 'Your Back Office verification code',
        text: `Your verification code is ${code}. It expires in ${Math.round(tokens.twoFactorTokenSeconds / 60)} minutes.`,
        code,
      });
      return {
        status: 200,
        body: { '2faRequired': true, '2faDetails': { token, provider: 'email', expiresAt: isoSeconds(expiresAt) } },
      };
    }
    const pair = await startSession(ctx, new TokenBook(ctx.store, ctx.clock), user);
    return { status: 200, body: { '2faRequired': false, ...pair } };
  };

  const confirmTwoFactor: Behaviour = async (req, ctx) => {
    const { token, code } = req.body as { token: string; code: string };
    countAttempt(ctx, `confirm:${token}`, rateLimits.confirm);
    const pending = ctx.store.get<PendingTwoFactor>(`2fa:${token}`);
    if (!pending) throw new MockError('invalid_2fa_token', 401, 'The 2FA token is unknown, already used or expired');
    if (!safeEqual(pending.code, code)) throw new MockError('invalid_2fa_code', 401, 'The verification code is wrong');
    ctx.store.delete(`2fa:${token}`);
    const user = byId.get(pending.userId)!;
    return { status: 200, body: await startSession(ctx, new TokenBook(ctx.store, ctx.clock), user) };
  };

  const refreshToken: Behaviour = async (req, ctx) => {
    const { refreshToken: token } = req.body as { refreshToken: string };
    const book = new TokenBook(ctx.store, ctx.clock);
    const known = book.check(token, REFRESH);
    countAttempt(ctx, known.ok ? `refresh:${known.record.family}` : `refresh-ip:${req.ip}`, rateLimits.refresh);
    const used = book.consume(token, REFRESH);
    if (!used.ok) throw tokenError(used);
    const user = byId.get(used.record.subject)!;
    return { status: 200, body: await issuePair(ctx, book, user, used.record.family) };
  };

  const signOut: Behaviour = (req, ctx) => {
    const book = new TokenBook(ctx.store, ctx.clock);
    const checked = book.check(bearer(req), ACCESS);
    if (!checked.ok) throw tokenError(checked);
    book.endFamily(checked.record.family);
    return { status: 200 };
  };

  const getSession: Behaviour = (req, ctx) => {
    const checked = new TokenBook(ctx.store, ctx.clock).check(bearer(req), ACCESS);
    if (!checked.ok) throw tokenError(checked);
    const user = byId.get(checked.record.subject)!;
    return {
      status: 200,
      body: { userId: user.id, email: user.email, expiresAt: isoSeconds(checked.record.expiresAt) },
    };
  };

  return { signIn, confirmTwoFactor, refreshToken, signOut, getSession };
}

function bearer(req: OperationRequest): string {
  return (req.credentials.bearerAuth as Extract<Credential, { type: 'bearer' }>).token;
}

function tokenError(check: Extract<TokenCheck<unknown>, { ok: false }>): MockError {
  return check.reason === 'expired'
    ? new MockError('token_expired', 401, 'The token has expired')
    : new MockError('invalid_token', 401, 'The token is unknown or has been revoked');
}

/** `2022-01-01T00:00:00+00:00`: whole seconds with an explicit UTC offset, as the document writes. */
export function isoSeconds(epochMs: number): string {
  const seconds = Math.floor(epochMs / 1000);
  // The same second as the last call (a session polled with one token): the same text, not made again.
  if (seconds === lastIso.seconds) return lastIso.text;
  // toISOString ends with `.000Z` here (whole seconds), whatever the year's width.
  const text = `${new Date(seconds * 1000).toISOString().slice(0, -5)}+00:00`;
  lastIso.seconds = seconds;
  lastIso.text = text;
  return text;
}

const lastIso = { seconds: NaN, text: '' };
