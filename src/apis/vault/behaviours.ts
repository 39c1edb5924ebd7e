import type { Behaviour, Credential, MockResponse, OperationRequest, RequestContext } from '../../engine/types';
import type { JwtSigner } from '../shared/jwt';
import { safeEqual } from '../shared/secrets';
import { TokenBook } from '../shared/token-book';
import { accessTokenError, invalidCredentials, missingClientId, refreshTokenError, unknownClient } from './errors';
import type { VaultFixture, VaultUser } from './fixture';

/** What the spec's `TokenRequest` lets through (the engine has validated the body against it). */
type TokenRequest =
  | { grant_type: 'password'; username: string; password: string; client_id?: string; client_secret?: string; scope?: string }
  | { grant_type: 'refresh_token'; refresh_token: string; client_id?: string; client_secret?: string; scope?: string };

/** Kept with every issued token: the client it was issued to. */
interface TokenData {
  clientId: string;
}

interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  refresh_token: string;
  scope: string;
  expires_in: number;
  user_id: string;
}

const ACCESS = 'access';
const REFRESH = 'refresh';
/** RFC 6749 §5.1: token responses are not to be cached. */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/** The Vault behaviours, by operationId, over the fixture's users and clients and the API's signing key. */
export function createBehaviours(fixture: VaultFixture, signer: JwtSigner): Record<string, Behaviour> {
  const byUsername = new Map(fixture.users.map((u) => [u.username.toLowerCase(), u]));
  const byId = new Map(fixture.users.map((u) => [u.id, u]));
  const clients = new Set(fixture.clients.map((c) => c.id));
  const { tokens } = fixture;
  const book = (ctx: RequestContext) => new TokenBook<TokenData>(ctx.store, ctx.clock);
  /** One `data` per client, shared by its tokens (the clients are the fixture's, so few). */
  const dataOf = new Map<string, TokenData>();
  const tokenData = (clientId: string): TokenData => {
    let data = dataOf.get(clientId);
    if (!data) dataOf.set(clientId, (data = { clientId }));
    return data;
  };

  async function issue(ctx: RequestContext, tokenBook: TokenBook<TokenData>, user: VaultUser, clientId: string, family: string) {
    const now = ctx.clock.now();
    const scope = user.scope.join(' ');
    const [access, refresh] = await Promise.all([
      signer.sign({ sub: user.id, client_id: clientId, scope }, now, tokens.accessTokenSeconds),
      signer.sign({ sub: user.id, client_id: clientId }, now, tokens.refreshTokenSeconds),
    ]);
    // Signing awaited: the session may have been logged out meanwhile. Its new tokens must not live.
    if (!tokenBook.familyAlive(family)) throw refreshTokenError('revoked');
    // Whole seconds, as the JWTs' iat and exp.
    const issuedAt = Math.floor(now / 1000) * 1000;
    const record = (kind: string, seconds: number) => ({
      kind,
      family,
      subject: user.id,
      issuedAt,
      expiresAt: issuedAt + seconds * 1000,
      data: tokenData(clientId),
    });
    tokenBook.issue(access, record(ACCESS, tokens.accessTokenSeconds));
    tokenBook.issue(refresh, record(REFRESH, tokens.refreshTokenSeconds));
    const body: TokenResponse = {
      access_token: access,
      token_type: 'Bearer',
      refresh_token: refresh,
      scope,
      expires_in: tokens.accessTokenSeconds,
      user_id: user.id,
    };
    return body;
  }

  function passwordGrant(body: Extract<TokenRequest, { grant_type: 'password' }>, headerClientId: string | undefined, ctx: RequestContext) {
    // The body's client_id, else the appClientId header (as a public Vault SDK sends it).
    const clientId = body.client_id ?? headerClientId;
    if (clientId === undefined) throw missingClientId();
    if (!clients.has(clientId)) throw unknownClient();
    const user = byUsername.get(body.username.toLowerCase());
    // Compare even for unknown users, so timing does not tell which usernames exist.
    const passwordOk = safeEqual(user?.password ?? '\u0000', body.password);
    if (!user || !passwordOk) throw invalidCredentials();
    const tokenBook = book(ctx);
    return issue(ctx, tokenBook, user, clientId, tokenBook.startFamily(user.id, tokens.refreshTokenSeconds * 1000));
  }

  function refreshGrant(body: Extract<TokenRequest, { grant_type: 'refresh_token' }>, ctx: RequestContext) {
    if (body.client_id !== undefined && !clients.has(body.client_id)) throw unknownClient();
    const tokenBook = book(ctx);
    // Check, compare the client and consume with nothing awaited in between: two requests with the
    // same refresh token cannot both succeed.
    const checked = tokenBook.check(body.refresh_token, REFRESH);
    if (!checked.ok) throw refreshTokenError(checked.reason);
    const clientId = checked.record.data!.clientId;
    if (body.client_id !== undefined && body.client_id !== clientId) throw refreshTokenError('unknown');
    const used = tokenBook.consume(body.refresh_token, REFRESH);
    if (!used.ok) throw refreshTokenError(used.reason);
    const user = byId.get(used.record.subject)!;
    return issue(ctx, tokenBook, user, clientId, used.record.family);
  }

  const issueToken: Behaviour = async (req, ctx): Promise<MockResponse> => {
    const body = req.body as TokenRequest;
    const header = req.headers.appclientid;
    const headerClientId = Array.isArray(header) ? header[0] : header;
    const tokenResponse = body.grant_type === 'password' ? await passwordGrant(body, headerClientId, ctx) : await refreshGrant(body, ctx);
    return { status: 200, headers: NO_STORE, body: tokenResponse };
  };

  const logoutCurrentSession: Behaviour = (req, ctx) => {
    const tokenBook = book(ctx);
    const checked = tokenBook.check(bearer(req), ACCESS);
    if (!checked.ok) throw accessTokenError(checked.reason);
    tokenBook.endFamily(checked.record.family);
    return { status: 204 };
  };

  /** The live tokens of `subject`, grouped by session (family). */
  function sessionsOf(tokenBook: TokenBook<TokenData>, subject: string) {
    const sessions = new Map<string, { clientId: string; issuedAt: number; expiresAt: number }>();
    for (const live of tokenBook.listLive()) {
      const record = live.record();
      if (record.subject !== subject) continue;
      const seen = sessions.get(record.family);
      sessions.set(record.family, {
        clientId: record.data!.clientId,
        issuedAt: Math.max(seen?.issuedAt ?? 0, record.issuedAt),
        expiresAt: Math.max(seen?.expiresAt ?? 0, record.expiresAt),
      });
    }
    return sessions;
  }

  const getCurrentSession: Behaviour = (req, ctx) => {
    const tokenBook = book(ctx);
    const checked = tokenBook.check(bearer(req), ACCESS);
    if (!checked.ok) throw accessTokenError(checked.reason);
    const user = byId.get(checked.record.subject)!;
    const list = [...sessionsOf(tokenBook, user.id)]
      .sort(([, a], [, b]) => b.issuedAt - a.issuedAt)
      .map(([family, session]) => ({
        session_id: family,
        user_id: user.id,
        username: user.username,
        client_id: session.clientId,
        scope: user.scope.join(' '),
        expires_at: new Date(session.expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        current: family === checked.record.family,
      }));
    return { status: 200, body: list };
  };

  const logoutAllSessions: Behaviour = (req, ctx) => {
    const tokenBook = book(ctx);
    const checked = tokenBook.check(bearer(req), ACCESS);
    if (!checked.ok) throw accessTokenError(checked.reason);
    for (const family of sessionsOf(tokenBook, checked.record.subject).keys()) tokenBook.endFamily(family);
    return { status: 204 };
  };

  return { issueToken, issueTokenV1: issueToken, logoutCurrentSession, getCurrentSession, logoutAllSessions };
}

function bearer(req: OperationRequest): string {
  return (req.credentials.bearerAuth as Extract<Credential, { type: 'bearer' }>).token;
}
