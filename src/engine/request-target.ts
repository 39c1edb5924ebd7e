/**
 * A request target in absolute form (`GET http://host/path HTTP/1.1`, RFC 9112 §3.2.2) as the
 * origin form the routes match (`/path`); any other target is returned as it is.
 */
export function originForm(url: string): string {
  if (url.charCodeAt(0) === 0x2f) return url; // '/': the usual origin form, no scheme to strip
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(url);
  if (!m) return url;
  const rest = url.slice(m[0].length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}
