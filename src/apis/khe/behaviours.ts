import type { Behaviour, Credential, OperationRequest, RequestContext } from '../../engine/types';
import { safeEqual } from '../shared/secrets';
import { Directory } from './directory';
import { badRequest, conflict, invalidFields, loggedOut, Messages } from './errors';
import type { KheFixture, KheUser } from './fixture';
import { ClientSessions, type Authenticated, type Issued } from './sessions';
import { validateCredentials } from './validation';

/**
 * Key and token from `Authorization`, read as the real server does (hacksu/kenthackenough
 * `app/users/model.js` `parseAuthHeader`, lines 118-125): the last whitespace-separated part of the
 * header, base64-decoded, split at `:`. The scheme word is not looked at.
 */
function keyAndToken(header: string): { key: string; token: string | undefined } {
  const encoded = header.split(/\s+/).pop() ?? '';
  const parts = Buffer.from(encoded, 'base64').toString('utf8').split(/:/);
  return { key: parts[0] ?? '', token: parts[1] };
}

/** The sign-up and sign-in body after the real server's validation, or a 400 with `{path}` errors. */
function credentialsOf(body: unknown): { client: string; email: string; password: string } {
  const checked = validateCredentials(body);
  if (!checked.ok) throw invalidFields(checked.errors);
  return checked.value;
}

/** The KentHackEnough behaviours, by operationId, over the fixture's clients and users. */
export function createBehaviours(fixture: KheFixture): Record<string, Behaviour> {
  const clients = new Set(fixture.clients);
  const directoryOf = Directory.over(fixture);
  const lifetimeMs = fixture.tokens.lifetimeSeconds * 1000;
  const sessionsOf = (ctx: RequestContext) => new ClientSessions(ctx.store, ctx.clock, lifetimeMs, fixture.tokens.refreshExpires);

  const knownClient = (client: string | undefined): void => {
    if (client !== undefined && !clients.has(client)) throw badRequest(Messages.badClient);
  };

  /** The user and session of `Authorization: Basic base64(key:token)`; 401 for anything else. */
  const authenticate = (req: OperationRequest, ctx: RequestContext): { user: KheUser; session: Authenticated } => {
    const { key, token } = keyAndToken((req.credentials.keyToken as Extract<Credential, { type: 'apiKey' }>).value);
    const session = token === undefined ? undefined : sessionsOf(ctx).authenticate(key, token);
    const user = session && directoryOf(ctx.store).byKeyOf(key);
    if (!session || !user) throw loggedOut();
    return { user, session };
  };

  const signUp: Behaviour = (req, ctx) => {
    const { client, email, password } = credentialsOf(req.body);
    knownClient(client);
    const user = directoryOf(ctx.store).signUp(email, password, ctx.clock.now());
    if (!user) throw conflict(Messages.emailInUse);
    return { status: 201, body: signedIn(user, sessionsOf(ctx).open(user.key, client)) };
  };

  const signIn: Behaviour = (req, ctx) => {
    const { client, email, password } = credentialsOf(req.body);
    knownClient(client);
    const user = directoryOf(ctx.store).byEmailOf(email);
    // Compare even for unknown e-mails, so timing does not tell which ones exist.
    const passwordOk = safeEqual(user?.password ?? '\u0000', password);
    if (!user || !passwordOk) throw badRequest(Messages.badCredentials);
    return { status: 201, body: signedIn(user, sessionsOf(ctx).open(user.key, client)) };
  };

  const refreshToken: Behaviour = (req, ctx) => {
    // No validation, as the real server: the client ID first, then the key and refresh token.
    const { client, key, refresh } = (req.body ?? {}) as { client?: unknown; key?: unknown; refresh?: unknown };
    if (typeof client !== 'string' || !clients.has(client)) throw badRequest(Messages.badClient);
    if (typeof key !== 'string' || typeof refresh !== 'string') throw badRequest(Messages.badRefresh);
    const user = directoryOf(ctx.store).byKeyOf(key);
    const issued = user && sessionsOf(ctx).refresh(key, client, refresh);
    if (!user || !issued) throw badRequest(Messages.badRefresh);
    return { status: 200, body: signedIn(user, issued) };
  };

  const updateUser: Behaviour = (req, ctx) => {
    const { user } = authenticate(req, ctx);
    const change = (req.body ?? {}) as { email?: string; password?: string };
    const updated = directoryOf(ctx.store).update(user, change);
    if (!updated) throw conflict(Messages.emailTaken);
    return { status: 200, body: { _id: updated.key, email: updated.email } };
  };

  const signOut: Behaviour = (req, ctx) => {
    const { session } = authenticate(req, ctx);
    knownClient((req.body as { client?: string } | undefined)?.client);
    sessionsOf(ctx).close(session);
    return { status: 200, body: {} };
  };

  return { signUp, signIn, refreshToken, updateUser, signOut };
}

function signedIn(user: KheUser, issued: Issued) {
  return {
    role: user.role,
    key: issued.key,
    token: issued.token,
    refresh: issued.refresh,
    expires: new Date(issued.expiresAt).toISOString(),
  };
}
