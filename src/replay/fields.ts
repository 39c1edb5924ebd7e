/**
 * What a field's name and value say about it: a secret to redact (and of what kind), the login of
 * a user, or a value that naturally differs between runs (tokens, ids, timestamps) and so is not
 * compared. One list, used by the redactor, the replayer and the comparison alike.
 */
import type { SecretKind } from './markers';

function norm(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

const SECRET_FIELDS: Record<string, SecretKind> = {
  password: 'password',
  newpassword: 'password',
  oldpassword: 'password',
  currentpassword: 'password',
  clientsecret: 'secret',
  secret: 'secret',
  token: 'token',
  accesstoken: 'token',
  idtoken: 'token',
  mfatoken: 'token',
  authtoken: 'token',
  refresh: 'refresh-token',
  refreshtoken: 'refresh-token',
  signature: 'signature',
  code: 'otp',
  otp: 'otp',
  twofactorcode: 'otp',
  totp: 'otp',
};

/**
 * The kind of secret a field of this name holds, if any. `code` counts only in requests and only
 * when it looks like a one-time code (the fib envelope's numeric `status.code` is not a secret).
 */
export function secretKindOfField(name: string, value: unknown): SecretKind | undefined {
  const kind = SECRET_FIELDS[norm(name)];
  if (kind === undefined) return undefined;
  if (kind === 'otp') return typeof value === 'string' && /^\d{4,10}$/.test(value) ? 'otp' : undefined;
  return typeof value === 'string' && value !== '' ? kind : undefined;
}

/** Fields that name the user a credential belongs to, by how specific they are. */
const USER_FIELDS = ['email', 'username', 'login', 'user', 'user_login'];

/**
 * The user a request body is about: its e-mail, username or login, prefixed with the
 * organization where there is one (`680a2fae96cc69d78861f101/login_u1`).
 */
export function userOfBody(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const record = body as Record<string, unknown>;
  for (const field of USER_FIELDS) {
    const value = record[field];
    if (typeof value === 'string' && value !== '') {
      const org = record.organization_id ?? record.organizationId;
      return typeof org === 'string' && org !== '' ? `${org}/${value}` : value;
    }
  }
  return undefined;
}

/**
 * The user a WebSocket request is about: the first object in it, breadth first, that names one
 * (`{request: {user_login: {organization_id, login, ...}, id}}` → `<organization_id>/<login>`).
 */
export function userOfMessage(message: unknown): string | undefined {
  const queue: unknown[] = [message];
  for (let i = 0; i < queue.length && i < 64; i++) {
    const node = queue[i];
    const user = userOfBody(node);
    if (user !== undefined) return user;
    if (node !== null && typeof node === 'object') queue.push(...Object.values(node as object));
  }
  return undefined;
}

const JWT = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const HEX_ID = /^[0-9a-f]{16,}$/i;

/** The shape of a generated value, or undefined for ordinary text. */
export type ValueShape = 'jwt' | 'uuid' | 'date-time' | 'hex' | 'marker';

export function shapeOf(value: string): ValueShape | undefined {
  if (/^<redacted:[a-z-]+[^>]*>$/.test(value)) return 'marker';
  if (JWT.test(value)) return 'jwt';
  if (DATE_TIME.test(value)) return 'date-time';
  if (UUID.test(value)) return 'uuid';
  if (HEX_ID.test(value)) return 'hex';
  return undefined;
}

/** Looks like a token wherever it appears: a JWT. */
export function looksLikeJwt(value: string): boolean {
  return JWT.test(value);
}

const VARYING_NAMES = new Set([
  'token', 'accesstoken', 'refreshtoken', 'refresh', 'idtoken', 'mfatoken', 'key', 'jti', 'acjti', 'nonce', 'state',
  'createdat', 'updatedat', 'expiresat', 'expires', 'expiredat', 'issuedat', 'iat', 'exp', 'nbf', 'timestamp', 'date',
  'sentat', 'now',
]);

/**
 * Whether a field's value naturally differs between two runs of the same session: tokens, keys,
 * ids, trace ids, timestamps, codes (by the field's name), or a value that looks generated.
 */
export function isVaryingField(name: string | undefined, value: unknown): boolean {
  if (name !== undefined) {
    if (VARYING_NAMES.has(norm(name))) return true;
    if (norm(name) === 'code' && typeof value === 'string' && /^\d{4,10}$/.test(value)) return true;
    if (/(^|_|-)id$|[a-z0-9]Id$|^id$/.test(name)) return true;
  }
  return typeof value === 'string' && shapeOf(value) !== undefined;
}

/**
 * The kind of secret at `key` inside `parentKey`: `{refreshToken: {token}}` holds a refresh token,
 * and a JWT is a token whatever its field is called.
 */
export function secretKindInContext(key: string | undefined, parentKey: string | undefined, value: unknown): SecretKind | undefined {
  const own = key === undefined ? undefined : secretKindOfField(key, value);
  if (own === 'token' && parentKey !== undefined && secretKindOfField(parentKey, 'x') === 'refresh-token') return 'refresh-token';
  if (own !== undefined) return own;
  if (typeof value === 'string' && looksLikeJwt(value)) return 'token';
  return undefined;
}
