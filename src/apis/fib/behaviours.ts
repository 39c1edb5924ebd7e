import { randomUUID } from 'node:crypto';
import { MockError } from '../../errors';
import type { Behaviour, Credential, MockResponse, OperationRequest, RequestContext } from '../../engine/types';
import type { JwtSigner } from '../shared/jwt';
import { TokenBook, type TokenCheck } from '../shared/token-book';
import type { FibFixture, FibUser } from './fixture';
import { hexBytes, verifyEmailSignature } from './signing';

interface SignInBody {
  email: string;
  signature: string;
  authPublicKeyHex: string;
}

const ACCESS = 'access';
const REFRESH = 'refresh';

/** The FIB behaviours, by operationId, over the fixture's users and the API's EdDSA signing key. */
export function createBehaviours(fixture: FibFixture, signer: JwtSigner): Record<string, Behaviour> {
  const byEmail = new Map(fixture.users.map((u) => [u.email.toLowerCase(), u]));
  const registeredKey = new Map(fixture.users.map((u) => [u, Buffer.from(u.authPublicKeyHex, 'hex')]));
  const { tokens } = fixture;

  async function issuePair(ctx: RequestContext, book: TokenBook, user: FibUser, family: string) {
    const now = ctx.clock.now();
    const accessJti = randomUUID();
    const [accessToken, refreshToken] = await Promise.all([
      signer.sign({ acc: user.account, sub: user.email, role: user.role, jti: accessJti }, now, tokens.accessTokenSeconds),
      signer.sign({ sub: user.email, acjti: accessJti, jti: randomUUID() }, now, tokens.refreshTokenSeconds),
    ]);
    // Signing awaited: the session may have been logged out meanwhile. Its new tokens must not live.
    if (!book.familyAlive(family)) throw tokenError({ ok: false, reason: 'revoked' });
    const issuedAt = Math.floor(now / 1000) * 1000;
    book.issue(accessToken, { kind: ACCESS, family, subject: user.email, issuedAt, expiresAt: issuedAt + tokens.accessTokenSeconds * 1000 });
    book.issue(refreshToken, { kind: REFRESH, family, subject: user.email, issuedAt, expiresAt: issuedAt + tokens.refreshTokenSeconds * 1000 });
    return { accessToken, refreshToken, expirationTime: tokens.accessTokenSeconds };
  }

  const createSession: Behaviour = async (req, ctx) => {
    const { email, signature, authPublicKeyHex } = req.body as SignInBody;
    const user = byEmail.get(email.toLowerCase());
    if (!user) throw new MockError('user_not_found', 404, 'User not found');
    const publicKey = hexBytes(authPublicKeyHex, 32);
    if (!publicKey) {
      throw new MockError('malformed_public_key', 422, 'authPublicKeyHex must be an Ed25519 public key: 32 bytes as 64 hex characters');
    }
    if (!publicKey.equals(registeredKey.get(user)!)) {
      throw new MockError('unregistered_public_key', 422, "authPublicKeyHex is not the public key of the user's Authorization key pair");
    }
    const signatureBytes = hexBytes(signature, 64);
    if (!signatureBytes) {
      throw new MockError('malformed_signature', 422, 'signature must be an Ed25519 signature: 64 bytes as 128 hex characters');
    }
    if (!verifyEmailSignature(email, signatureBytes, publicKey)) {
      throw new MockError(
        'invalid_signature',
        422,
        'The signature does not verify: sign BLAKE2b-256 of the e-mail with the Authorization private key',
      );
    }
    const book = new TokenBook(ctx.store, ctx.clock);
    const family = book.startFamily(user.email, tokens.refreshTokenSeconds * 1000);
    return ok('User authorization has been successful.', await issuePair(ctx, book, user, family));
  };

  const refreshSession: Behaviour = async (req, ctx) => {
    const book = new TokenBook(ctx.store, ctx.clock);
    // Check and consume in one synchronous step, before anything is awaited: a refresh token works once.
    const used = book.consume(refreshTokenOf(req), REFRESH);
    if (!used.ok) throw tokenError(used);
    const user = byEmail.get(used.record.subject.toLowerCase());
    if (!user) throw new MockError('user_not_found', 404, 'User not found');
    return ok('Token refresh has been successful.', await issuePair(ctx, book, user, used.record.family));
  };

  const logout: Behaviour = (req, ctx) => {
    const book = new TokenBook(ctx.store, ctx.clock);
    const checked = book.check(bearer(req), ACCESS);
    if (!checked.ok) throw tokenError(checked);
    book.endFamily(checked.record.family);
    return ok('User logout has been successful.', {});
  };

  const getSession: Behaviour = (req, ctx) => {
    const checked = new TokenBook(ctx.store, ctx.clock).check(bearer(req), ACCESS);
    if (!checked.ok) throw tokenError(checked);
    const user = byEmail.get(checked.record.subject.toLowerCase());
    if (!user) throw new MockError('user_not_found', 404, 'User not found');
    return ok('The access token is valid.', {
      email: user.email,
      account: user.account,
      role: user.role,
      expiresAt: Math.floor(checked.record.expiresAt / 1000),
    });
  };

  return { createSession, refreshSession, logout, getSession };
}

function ok(message: string, data: Record<string, unknown>): MockResponse {
  return { status: 200, body: { status: { code: 200, name: 'OK', message }, data } };
}

function bearer(req: OperationRequest): string {
  return (req.credentials.bearerAuth as Extract<Credential, { type: 'bearer' }>).token;
}

/** The refresh token from `Authorization`, sent bare or as `Bearer <token>` (both are accepted). */
function refreshTokenOf(req: OperationRequest): string {
  const raw = (req.credentials.refreshToken as Extract<Credential, { type: 'apiKey' }>).value;
  return raw.trim().replace(/^bearer\s+/i, '');
}

function tokenError(check: Extract<TokenCheck<unknown>, { ok: false }>): MockError {
  return check.reason === 'expired'
    ? new MockError('token_expired', 401, 'The token has expired')
    : new MockError('invalid_token', 401, 'The token is unknown or has been revoked');
}
