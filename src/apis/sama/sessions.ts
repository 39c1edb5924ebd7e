import type { LinkedRecords } from '../../state/bounds';
import { randomBytes } from 'node:crypto';
import type { RequestContext } from '../../engine/types';
import type { JwtSigner } from '../shared/jwt';
import { safeEqual } from '../shared/secrets';
import { TokenBook } from '../shared/token-book';
import type { SamaFixture, SamaUser } from './fixture';
import { samaError } from './messages';

const ACCESS = 'access';
const REFRESH = 'refresh';

/** What a token record carries besides its subject (the user's `_id`). */
export interface TokenData {
  deviceId: string;
  organizationId: string;
}

/** The session of one user on one device: the real server keeps one access and one refresh token each. */
interface DeviceRecord {
  family: string;
  access?: string;
}

/** A WebSocket bound to a user's device by `connect` or `user_login`. */
export interface SocketBinding {
  userId: string;
  deviceId: string;
  organizationId: string;
  boundAt: number;
}

export interface IssuedToken {
  token: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export interface Authenticated {
  user: SamaUser;
  deviceId: string;
}

const deviceKey = (userId: string, deviceId: string): string => `device:${userId}:${deviceId}`;
export const socketKey = (connectionId: string): string => `socket:${connectionId}`;

/**
 * Users, device sessions and their tokens, shared by the HTTP routes and the WebSocket. Every
 * check-and-consume runs synchronously before the first await; after awaiting a signature, the
 * session is checked again, so a logout that happened meanwhile wins.
 */
export class SamaSessions {
  private readonly byLogin: Map<string, SamaUser>;
  private readonly byId: Map<string, SamaUser>;

  constructor(
    private readonly fixture: SamaFixture,
    private readonly signer: JwtSigner,
  ) {
    this.byLogin = new Map(fixture.users.map((u) => [loginKey(u.organization_id, u.login), u]));
    this.byId = new Map(fixture.users.map((u) => [u._id, u]));
  }

  /** A user by `_id`: the fixture's, or one created over the socket in this state session. */
  userById(ctx: RequestContext, id: string): SamaUser | undefined {
    return this.byId.get(id) ?? ctx.store.get<SamaUser>(`user:${id}`);
  }

  private userByLogin(ctx: RequestContext, organizationId: string, login: string): SamaUser | undefined {
    const key = loginKey(organizationId, login);
    const created = ctx.store.get<string>(`login:${key}`);
    return this.byLogin.get(key) ?? (created === undefined ? undefined : ctx.store.get<SamaUser>(`user:${created}`));
  }

  /**
   * `user_create`: a new user in an existing organization, or the real server's errors (sama-server
   * `app/providers/operations/user/create/index.js`): 404 `Organization not found`, 422 when the
   * login, e-mail or phone is already registered in the organization. Lives in the state session.
   */
  createUser(
    ctx: RequestContext,
    params: { organization_id: string; login: string; password: string; email: string; phone?: string },
  ): SamaUser {
    if (!this.fixture.organizations.some((o) => o._id === params.organization_id)) throw samaError('orgNotFound');
    const taken = (u: SamaUser) =>
      u.organization_id === params.organization_id &&
      (u.login.toLowerCase() === params.login.toLowerCase() || u.email === params.email || (params.phone !== undefined && u.phone === params.phone));
    // Users created in this session are found by their indexes: a look-up each, not a scan of them all.
    const createdTaken = userIndexes(params).some((k) => ctx.store.get<string>(k) !== undefined);
    if (createdTaken || this.fixture.users.some(taken)) throw samaError('userAlreadyExists');
    const now = new Date(ctx.clock.now()).toISOString();
    const seconds = Buffer.alloc(4);
    seconds.writeUInt32BE(Math.floor(ctx.clock.now() / 1000) >>> 0);
    const user: SamaUser = {
      _id: Buffer.concat([seconds, randomBytes(8)]).toString('hex'),
      organization_id: params.organization_id,
      login: params.login,
      password: params.password,
      email: params.email,
      ...(params.phone === undefined ? {} : { phone: params.phone }),
      created_at: now,
      updated_at: now,
    };
    ctx.store.set(`user:${user._id}`, user);
    for (const index of userIndexes(user)) ctx.store.set(index, user._id);
    return user;
  }

  /** The user with this login in this organization and this password, or 401. */
  checkPassword(ctx: RequestContext, organizationId: string | undefined, login: string, password: string): SamaUser {
    const user = organizationId === undefined ? undefined : this.userByLogin(ctx, organizationId, login);
    // Compare even for unknown users, so timing does not tell which logins exist.
    const ok = safeEqual(user?.password ?? '\u0000', password);
    if (!user || !ok) throw samaError('incorrectLoginOrPassword');
    return user;
  }

  /** A live access token (of `deviceId`, when given), or 422 "The token has expired.". */
  checkAccess(ctx: RequestContext, token: string, deviceId?: string): Authenticated {
    const checked = this.book(ctx).check(token, ACCESS);
    if (!checked.ok) throw samaError('tokenExpired');
    const data = checked.record.data!;
    if (deviceId !== undefined && data.deviceId !== deviceId) throw samaError('tokenExpired');
    return { user: this.userById(ctx, checked.record.subject)!, deviceId: data.deviceId };
  }

  /**
   * A live refresh token of `deviceId`, or 422 "The token has expired.". With the fixture setting
   * `tokens.newLoginRevokesOlder` it is used up; by default it stays valid, as on the real server.
   */
  consumeRefresh(ctx: RequestContext, token: string, deviceId: string): Authenticated {
    const book = this.book(ctx);
    const checked = book.check(token, REFRESH);
    if (!checked.ok || checked.record.data!.deviceId !== deviceId) throw samaError('tokenExpired');
    if (this.fixture.tokens.newLoginRevokesOlder) book.consume(token, REFRESH);
    return { user: this.userById(ctx, checked.record.subject)!, deviceId };
  }

  /**
   * HTTP login: a new access and refresh token for the device. By default, as the real server
   * (sama-server `app/providers/repositories/user_token/index.js`: `updateToken` looks the device's
   * token up with the token *type* as the token value, so it never finds one and always adds a new
   * record), the device's older tokens stay valid: two tabs do not log each other out. With the
   * fixture setting `tokens.newLoginRevokesOlder`, the device's previous session ends first.
   */
  async startSession(ctx: RequestContext, user: SamaUser, deviceId: string): Promise<{ access: IssuedToken; refresh: IssuedToken }> {
    const book = this.book(ctx);
    const key = deviceKey(user._id, deviceId);
    const record = ctx.store.get<DeviceRecord>(key);
    const ttl = this.fixture.tokens.refreshTokenSeconds * 1000;
    const strict = this.fixture.tokens.newLoginRevokesOlder;
    // Strict: the device's session until now ends here, unless another login on the device is still
    // being issued: that one ends once this one is issued (whichever finishes last holds the device).
    const previous = strict ? record?.family : undefined;
    if (previous !== undefined && !book.issuing(previous)) book.endFamily(previous);
    let family: string;
    if (!strict && record && book.familyAlive(record.family)) {
      family = record.family;
    } else {
      family = book.startFamily(user._id, ttl);
    }
    ctx.store.set<DeviceRecord>(key, { ...record, family }, ttl);

    const issuedAt = wholeSeconds(ctx.clock.now());
    const { accessTokenSeconds, refreshTokenSeconds } = this.fixture.tokens;
    const [access, refresh] = await Promise.all([
      this.signer.sign(this.claims(user, deviceId, ACCESS), issuedAt, accessTokenSeconds),
      this.signer.sign(this.claims(user, deviceId, REFRESH), issuedAt, refreshTokenSeconds),
    ]);
    // Signing awaited: a logout or another login on this device may have ended the session.
    if (!book.familyAlive(family)) throw samaError('tokenExpired');
    const data: TokenData = { deviceId, organizationId: user.organization_id };
    const accessRecord = book.issue(access, { kind: ACCESS, family, subject: user._id, issuedAt, expiresAt: issuedAt + accessTokenSeconds * 1000, data });
    const refreshRecord = book.issue(refresh, { kind: REFRESH, family, subject: user._id, issuedAt, expiresAt: issuedAt + refreshTokenSeconds * 1000, data });
    // Strict: of logins in parallel on one device, each succeeds and the last to finish holds the device.
    if (strict) {
      for (const other of [previous, ctx.store.get<DeviceRecord>(key)?.family]) {
        if (other !== undefined && other !== family && !book.issuing(other)) book.endFamily(other);
      }
    }
    this.setCurrentAccess(ctx, key, family, access);
    return { access: { token: access, expiresAt: accessRecord.expiresAt }, refresh: { token: refresh, expiresAt: refreshRecord.expiresAt } };
  }

  /**
   * WebSocket `user_login`: a new access token for the device, in its current session (a new one
   * when it has none). The device's previous access token stops working; its refresh token stays.
   */
  async renewAccess(ctx: RequestContext, user: SamaUser, deviceId: string): Promise<IssuedToken> {
    const book = this.book(ctx);
    const key = deviceKey(user._id, deviceId);
    const ttl = this.fixture.tokens.refreshTokenSeconds * 1000;
    let family = ctx.store.get<DeviceRecord>(key)?.family;
    if (family === undefined || !book.familyAlive(family)) {
      family = book.startFamily(user._id, ttl);
      ctx.store.set<DeviceRecord>(key, { family }, ttl);
    }
    const issuedAt = wholeSeconds(ctx.clock.now());
    const seconds = this.fixture.tokens.accessTokenSeconds;
    const token = await this.signer.sign(this.claims(user, deviceId, ACCESS), issuedAt, seconds);
    if (!book.familyAlive(family)) throw samaError('tokenExpired');
    const record = book.issue(token, {
      kind: ACCESS,
      family,
      subject: user._id,
      issuedAt,
      expiresAt: issuedAt + seconds * 1000,
      data: { deviceId, organizationId: user.organization_id },
    });
    this.setCurrentAccess(ctx, key, family, token);
    return { token, expiresAt: record.expiresAt };
  }

  /**
   * HTTP logout: needs the device's live access token (else 401) and its refresh token (else 422
   * "Incorrect token."). Ends the device's session and unbinds its sockets.
   */
  logout(ctx: RequestContext, accessToken: string, refreshToken: string | undefined): void {
    const book = this.book(ctx);
    const access = book.check(accessToken, ACCESS);
    if (!access.ok) throw samaError('missingCredentials');
    const refresh = refreshToken ? book.check(refreshToken, REFRESH) : undefined;
    if (!refresh?.ok || refresh.record.family !== access.record.family) throw samaError('incorrectToken');
    const { family, subject } = access.record;
    const { deviceId } = access.record.data!;
    book.endFamily(family);
    const key = deviceKey(subject, deviceId);
    if (ctx.store.get<DeviceRecord>(key)?.family === family) ctx.store.delete(key);
    for (const [socket, binding] of ctx.store.entries<SocketBinding>('socket:')) {
      if (binding.userId === subject && binding.deviceId === deviceId) ctx.store.delete(socket);
    }
  }

  /**
   * The public fields of a user, as the real server's `visibleParams()` (sama-server
   * `app/models/user.js` `visibleFields`, `app/models/base.js` `visibleParams`, and
   * `app/providers/utils/mappers/user/index.js`, which sets `native_id` to the `_id`): `native_id`
   * always, the optional profile fields only when set.
   */
  static visible(user: SamaUser): Record<string, string> {
    const optional = (['first_name', 'last_name', 'email', 'phone'] as const).flatMap((k) => (user[k] === undefined ? [] : [[k, user[k]!] as const]));
    return {
      _id: user._id,
      native_id: user._id,
      created_at: user.created_at,
      updated_at: user.updated_at,
      login: user.login,
      ...Object.fromEntries(optional),
    };
  }

  /**
   * WebSocket `user_logout` (sama-server `app/providers/operations/user/logout/index.js`): the
   * device's tokens are deleted (its session ends) and the socket is unbound.
   */
  logoutDevice(ctx: RequestContext, userId: string, deviceId: string): void {
    const key = deviceKey(userId, deviceId);
    const record = ctx.store.get<DeviceRecord>(key);
    if (record) this.book(ctx).endFamily(record.family);
    ctx.store.delete(key);
    for (const [socket, binding] of ctx.store.entries<SocketBinding>('socket:')) {
      if (binding.userId === userId && binding.deviceId === deviceId) ctx.store.delete(socket);
    }
  }

  /**
   * The access token issued last; with `newLoginRevokesOlder` it revokes the one before. Only then
   * is it kept in the device's record: otherwise nothing reads it, and it would be a second copy of
   * the token (the token book keeps it packed).
   */
  private setCurrentAccess(ctx: RequestContext, key: string, family: string, token: string): void {
    const ttl = this.fixture.tokens.refreshTokenSeconds * 1000;
    if (!this.fixture.tokens.newLoginRevokesOlder) {
      ctx.store.set<DeviceRecord>(key, { family }, ttl);
      return;
    }
    const current = ctx.store.get<DeviceRecord>(key);
    if (current?.access && current.access !== token) this.book(ctx).consume(current.access, ACCESS);
    ctx.store.set<DeviceRecord>(key, { family, access: token }, ttl);
  }

  private claims(user: SamaUser, deviceId: string, type: string): Record<string, string> {
    return { _id: user._id, login: user.login, organization_id: user.organization_id, device_id: deviceId, type };
  }

  private book(ctx: RequestContext): TokenBook<TokenData> {
    return new TokenBook<TokenData>(ctx.store, ctx.clock);
  }
}

function loginKey(organizationId: string, login: string): string {
  return `${organizationId}/${login.toLowerCase()}`;
}

/** The store keys that find a created user by what must be unique in its organization. */
function userIndexes(user: Pick<SamaUser, 'organization_id' | 'login' | 'email' | 'phone'>): string[] {
  const org = user.organization_id;
  return [
    `login:${loginKey(org, user.login)}`,
    ...(user.email === undefined ? [] : [`email:${org}/${user.email}`]),
    ...(user.phone === undefined ? [] : [`phone:${org}/${user.phone}`]),
  ];
}

const toUser = (id: unknown): string[] => (typeof id === 'string' ? [`user:${id}`] : []);

/** A created user and its indexes are kept, or dropped, together by the store bounds. */
export const samaLinkedRecords: LinkedRecords = {
  'user:': (user: Partial<SamaUser> | null) =>
    user && typeof user.organization_id === 'string' && typeof user.login === 'string' ? userIndexes(user as SamaUser) : [],
  'login:': toUser,
  'email:': toUser,
  'phone:': toUser,
};

function wholeSeconds(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}
