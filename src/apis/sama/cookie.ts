import { createHmac, timingSafeEqual } from 'node:crypto';

/** The `refresh_token` cookie, as the real server sets it. */
export const REFRESH_COOKIE = 'refresh_token';

/**
 * The real server signs the cookie value (sama-server `APIs/JSON/utils/cookie-tools.js`
 * `serializeCookie`: `s:` + cookie-signature's `sign(value, secret)`, i.e. the value, `.`, and the
 * base64 HMAC-SHA256 of the value without `=` padding), then the `cookie` package URL-encodes it.
 * It reads the cookie back from cookie-parser's `signedCookies` only, so an unsigned or tampered
 * value counts as no cookie at all.
 */
export function signCookieValue(value: string, secret: string): string {
  return `s:${value}.${createHmac('sha256', secret).update(value).digest('base64').replace(/=+$/, '')}`;
}

/** The token inside a signed cookie value (already URL-decoded), or undefined when it does not verify. */
export function unsignCookieValue(raw: string, secret: string): string | undefined {
  if (!raw.startsWith('s:')) return undefined;
  const signed = raw.slice(2);
  const dot = signed.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const value = signed.slice(0, dot);
  const expected = Buffer.from(signCookieValue(value, secret));
  const given = Buffer.from(raw);
  return expected.length === given.length && timingSafeEqual(expected, given) ? value : undefined;
}

export type SameSite = 'Strict' | 'Lax' | 'None';

/** How the cookie is marked: `Secure` or not, and its `SameSite` (the fixture's `cookie`). */
export interface CookieAttributes {
  secure: boolean;
  sameSite: SameSite;
}

/**
 * `refresh_token=<URL-encoded signed token>; Max-Age=<s>; HttpOnly; SameSite=Lax` (+ `Secure` when
 * configured; another SameSite when the fixture says so).
 */
export function refreshCookie(token: string, maxAgeSeconds: number, attributes: CookieAttributes, secret: string): string {
  return [
    `${REFRESH_COOKIE}=${encodeURIComponent(signCookieValue(token, secret))}`,
    `Max-Age=${maxAgeSeconds}`,
    'HttpOnly',
    ...marks(attributes),
  ].join('; ');
}

function marks({ secure, sameSite }: CookieAttributes): string[] {
  return [...(secure ? ['Secure'] : []), `SameSite=${sameSite}`];
}

/**
 * Clears the cookie: `Max-Age=0`, as the real server, plus an `Expires` in the past for cookie jars
 * that ignore Max-Age.
 */
export function clearedRefreshCookie(attributes: CookieAttributes): string {
  return [`${REFRESH_COOKIE}=`, 'Max-Age=0', 'Expires=Thu, 01 Jan 1970 00:00:00 GMT', 'HttpOnly', ...marks(attributes)].join('; ');
}
