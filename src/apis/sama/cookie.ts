/** The `refresh_token` cookie, as the real server sets it (minus its signature: see the spec). */
export const REFRESH_COOKIE = 'refresh_token';

/** `refresh_token=<jwt>; Max-Age=<s>; HttpOnly; SameSite=Lax` (+ `Secure` when configured). */
export function refreshCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  return [`${REFRESH_COOKIE}=${token}`, `Max-Age=${maxAgeSeconds}`, 'HttpOnly', ...(secure ? ['Secure'] : []), 'SameSite=Lax'].join('; ');
}

/**
 * Clears the cookie: `Max-Age=0`, as the real server, plus an `Expires` in the past for cookie jars
 * that ignore Max-Age.
 */
export function clearedRefreshCookie(secure: boolean): string {
  return [
    `${REFRESH_COOKIE}=`,
    'Max-Age=0',
    'Expires=Thu, 01 Jan 1970 00:00:00 GMT',
    'HttpOnly',
    ...(secure ? ['Secure'] : []),
    'SameSite=Lax',
  ].join('; ');
}
