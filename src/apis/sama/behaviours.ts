import { hostname } from 'node:os';
import type { Behaviour, Credential, OperationRequest } from '../../engine/types';
import { cookieAttributes, type SamaFixture } from './fixture';
import { clearedRefreshCookie, refreshCookie, unsignCookieValue } from './cookie';
import { samaError } from './messages';
import { SamaSessions, type Authenticated } from './sessions';

export interface LoginBody {
  organization_id?: string;
  login?: string;
  password?: string;
  device_id: string | number;
}

/** The HTTP behaviours of SAMA, by operationId. */
export function createBehaviours(fixture: SamaFixture, sessions: SamaSessions, cookieSecret: string): Record<string, Behaviour> {
  const attributes = cookieAttributes(fixture);
  /** The refresh token of a signed refresh_token cookie; an unsigned or tampered one is no cookie. */
  const refreshCookieToken = (req: OperationRequest): string | undefined => {
    const raw = credential(req, 'refreshTokenCookie');
    return raw === undefined ? undefined : unsignCookieValue(raw, cookieSecret);
  };

  /**
   * `POST /login`. As the real server: `device_id` first; then login and password when both are
   * given; else the Bearer access token; else the refresh_token cookie; else 401. Every success
   * starts a new session on the device and sets a new refresh cookie.
   */
  const login: Behaviour = async (req, ctx) => {
    const body = req.body as LoginBody;
    const deviceId = String(body.device_id);
    if (deviceId === '') throw samaError('deviceIdMissed');

    let who: Authenticated;
    const bearer = credential(req, 'bearerAuth');
    const cookie = refreshCookieToken(req);
    if (body.login && body.password) {
      who = { user: sessions.checkPassword(ctx, body.organization_id, body.login, body.password), deviceId };
    } else if (bearer) {
      who = sessions.checkAccess(ctx, bearer, deviceId);
    } else if (cookie) {
      who = sessions.consumeRefresh(ctx, cookie, deviceId);
    } else {
      throw samaError('missingCredentials');
    }

    const { access, refresh } = await sessions.startSession(ctx, who.user, deviceId);
    return {
      status: 200,
      headers: { 'set-cookie': refreshCookie(refresh.token, fixture.tokens.refreshTokenSeconds, attributes, cookieSecret) },
      body: { user: SamaSessions.visible(who.user), access_token: access.token, expired_at: access.expiresAt },
    };
  };

  /** `POST /logout`: ends the device's session (access token + refresh cookie) and clears the cookie. */
  const logout: Behaviour = (req, ctx) => {
    sessions.logout(ctx, credential(req, 'bearerAuth') ?? '', refreshCookieToken(req));
    return { status: 200, headers: { 'set-cookie': clearedRefreshCookie(attributes) }, body: { success: true } };
  };

  /**
   * `GET /health` (sama-server `app/networking/protocol_processors/http.js` `healthCheckHandler`):
   * `{status: "ok", hostname}`. The real hostname is `process.env.HOSTNAME`; authdouble sends the
   * machine's.
   */
  const health: Behaviour = () => ({ status: 200, body: { status: 'ok', hostname: hostname() } });

  return { login, logout, health };
}

/** The token or cookie value a security scheme found, if any. */
function credential(req: OperationRequest, scheme: 'bearerAuth' | 'refreshTokenCookie'): string | undefined {
  const found: Credential | undefined = req.credentials[scheme];
  if (found?.type === 'bearer') return found.token;
  if (found?.type === 'apiKey') return found.value;
  return undefined;
}
