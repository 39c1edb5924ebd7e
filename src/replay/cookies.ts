/** Cookie headers, taken apart and put back together without touching anything but the values. */

export interface CookiePair {
  name: string;
  value: string;
}

/** `a=1; b=2` → pairs, in order. */
export function parseCookieHeader(header: string): CookiePair[] {
  return header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq < 0 ? { name: part, value: '' } : { name: part.slice(0, eq).trim(), value: part.slice(eq + 1).trim() };
    });
}

export function formatCookieHeader(pairs: CookiePair[]): string {
  return pairs.map((p) => `${p.name}=${p.value}`).join('; ');
}

/** The cookie a Set-Cookie header sets: `name=value; HttpOnly` → {name, value}, plus the rest. */
export function parseSetCookie(header: string): CookiePair & { attributes: string } {
  const semi = header.indexOf(';');
  const head = semi < 0 ? header : header.slice(0, semi);
  const attributes = semi < 0 ? '' : header.slice(semi);
  const eq = head.indexOf('=');
  return eq < 0
    ? { name: head.trim(), value: '', attributes }
    : { name: head.slice(0, eq).trim(), value: head.slice(eq + 1).trim(), attributes };
}

export function formatSetCookie(cookie: CookiePair & { attributes: string }): string {
  return `${cookie.name}=${cookie.value}${cookie.attributes}`;
}
