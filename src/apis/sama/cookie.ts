/** The `refresh_token` cookie, as the real server sets it (minus its signature: see the spec). */
export const REFRESH_COOKIE = 'refresh_token';

export type SameSite = 'Strict' | 'Lax' | 'None';

/** How the cookie is marked: `Secure` or not, and its `SameSite` (the fixture's `cookie`). */
export interface CookieAttributes {
  secure: boolean;
  sameSite: SameSite;
}

/** `refresh_token=<jwt>; Max-Age=<s>; HttpOnly; SameSite=Lax` (+ `Secure` when configured). */
export function refreshCookie(token: string, maxAgeSeconds: number, attributes: CookieAttributes): string {
  return [`${REFRESH_COOKIE}=${token}`, `Max-Age=${maxAgeSeconds}`, 'HttpOnly', ...marks(attributes)].join('; ');
}

function marks({ secure, sameSite }: CookieAttributes): string[] {
  return [...(secure ? ['Secure'] : []), `SameSite=${sameSite}`];
}

/**
 * Clears the cookie: `Max-Age=0`, as the real server, plus an `Expires` in the past for cookie jars
 * that ignore Max-Age.
 */
export function clearedRefreshCookie(attributes: CookieAttributes): string {
  return [
    `${REFRESH_COOKIE}=`,
    'Max-Age=0',
    'Expires=Thu, 01 Jan 1970 00:00:00 GMT',
    'HttpOnly',
    ...marks(attributes),
  ].join('; ');
}
