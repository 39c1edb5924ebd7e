import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * CORS for every entry point, on node's own request and response objects (no framework), so that
 * the Express dispatcher and a bare node:http path apply exactly the same rules.
 *
 * Open by default (any Origin is echoed, with credentials), as Prism does for a loopback mock; see
 * SECURITY.md. `origins` restricts it to a list; `enabled: false` sends no CORS header at all.
 */
export interface CorsPolicy {
  enabled: boolean;
  /** Allowed origins (`scheme://host[:port]`); empty: any origin. */
  origins: string[];
  /** Response headers a page may read, besides the CORS-safelisted ones. */
  exposeHeaders: string[];
}

/** Headers every page may send, whatever its preflight asked for. */
export const ALLOWED_REQUEST_HEADERS = ['Authorization', 'Content-Type', 'X-Authdouble-Session', 'X-Authdouble-Fault'];
/** Headers a page may read on every response; the specs' own response headers are added to these. */
export const BASE_EXPOSED_HEADERS = ['Retry-After', 'X-Authdouble-Source', 'Location', 'WWW-Authenticate', 'Allow'];
/** How long a browser may cache a preflight's answer, in seconds (Chromium caps it at 7200). */
export const PREFLIGHT_MAX_AGE = 600;

/** Header names never worth exposing: safelisted already, or never readable by a page. */
const NOT_EXPOSABLE = new Set([
  'cache-control',
  'content-language',
  'content-length',
  'content-type',
  'expires',
  'last-modified',
  'pragma',
  'set-cookie',
  'set-cookie2',
]);

/** The expose list: the base headers plus `specHeaders`, deduplicated case-insensitively. */
export function exposedHeaders(specHeaders: Iterable<string>): string[] {
  const out = new Map<string, string>();
  for (const name of [...BASE_EXPOSED_HEADERS, ...specHeaders]) {
    const key = name.toLowerCase();
    if (!NOT_EXPOSABLE.has(key) && /^[!#$%&'*+.^_`|~0-9a-z-]+$/i.test(name) && !out.has(key)) out.set(key, name);
  }
  return [...out.values()];
}

/** `http://localhost:5173/` → `http://localhost:5173`; undefined when it is not a web origin. */
export function normalizeOrigin(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) return undefined;
  return url.origin;
}

/** The request's Origin, when CORS applies to it and the policy allows it. */
export function allowedOrigin(req: IncomingMessage, policy: CorsPolicy): string | undefined {
  if (!policy.enabled) return undefined;
  const origin = req.headers.origin;
  if (typeof origin !== 'string' || origin === '' || origin === 'null') return undefined;
  if (policy.origins.length === 0) return origin;
  return policy.origins.includes(origin) ? origin : undefined;
}

/** `OPTIONS` with `Access-Control-Request-Method`: a browser's preflight, not an API call. */
export function isPreflight(req: IncomingMessage): boolean {
  return req.method === 'OPTIONS' && typeof req.headers['access-control-request-method'] === 'string' && req.headers.origin !== undefined;
}

/**
 * Sets the CORS headers of an actual (non-preflight) response, before anything is written, so
 * that whatever answers next (an API, the control API, a 404, an error, an injected fault) carries
 * them.
 */
export function applyCors(req: IncomingMessage, res: ServerResponse, policy: CorsPolicy): void {
  if (!policy.enabled) return;
  res.setHeader('vary', 'Origin');
  const origin = allowedOrigin(req, policy);
  if (!origin) return;
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('access-control-allow-credentials', 'true');
  if (policy.exposeHeaders.length > 0) res.setHeader('access-control-expose-headers', policy.exposeHeaders.join(', '));
}

const VARY_ORIGIN: Readonly<Record<string, string>> = Object.freeze({ vary: 'Origin' });

/**
 * The CORS headers of an actual (non-preflight) response, as applyCors sets them, for a handler
 * that writes them with its own headers in one writeHead (node's fast path: no setHeader before
 * it). Undefined when CORS is off.
 */
export function corsHeaders(req: IncomingMessage, policy: CorsPolicy): Readonly<Record<string, string>> | undefined {
  if (!policy.enabled) return undefined;
  const origin = allowedOrigin(req, policy);
  if (!origin) return VARY_ORIGIN;
  const headers: Record<string, string> = { vary: 'Origin', 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true' };
  if (policy.exposeHeaders.length > 0) headers['access-control-expose-headers'] = policy.exposeHeaders.join(', ');
  return headers;
}

/**
 * Answers a preflight: 204 with the methods `methods` (what the path accepts), the requested
 * headers, and a Max-Age. A disallowed origin gets the 204 without CORS headers, which the
 * browser reads as a refusal.
 */
export function answerPreflight(req: IncomingMessage, res: ServerResponse, policy: CorsPolicy, methods: string[]): void {
  const headers: Record<string, string> = { vary: 'Origin', 'content-length': '0' };
  const origin = allowedOrigin(req, policy);
  if (origin) {
    const requested = String(req.headers['access-control-request-headers'] ?? '')
      .split(',')
      .map((h) => h.trim())
      .filter((h) => /^[!#$%&'*+.^_`|~0-9a-z-]+$/i.test(h));
    const allowHeaders = new Map<string, string>();
    for (const h of [...ALLOWED_REQUEST_HEADERS, ...requested]) if (!allowHeaders.has(h.toLowerCase())) allowHeaders.set(h.toLowerCase(), h);
    Object.assign(headers, {
      'access-control-allow-origin': origin,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': methods.join(', '),
      'access-control-allow-headers': [...allowHeaders.values()].join(', '),
      'access-control-max-age': String(PREFLIGHT_MAX_AGE),
    });
  }
  res.writeHead(204, headers);
  res.end();
}

/** The site a URL's host belongs to, roughly: an IP or single-label name stands alone; else its last two labels. */
function siteOf(protocol: string, hostname: string): string {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const isIp = /^[\d.]+$/.test(host) || host.includes(':');
  const labels = host.split('.');
  const base = isIp || labels.length <= 2 ? host : labels.slice(-2).join('.');
  return `${protocol}//${base}`;
}

/**
 * Why cookies set by the mock would not reach it from the request's page, when they would not:
 * the page and the mock are different sites (localhost vs 127.0.0.1, or http vs https).
 */
export function crossSiteWarning(req: IncomingMessage, mockProtocol: 'http:' | 'https:'): string | undefined {
  const origin = req.headers.origin;
  const host = req.headers.host;
  if (typeof origin !== 'string' || typeof host !== 'string') return undefined;
  let page: URL;
  let mock: URL;
  try {
    page = new URL(origin);
    mock = new URL(`${mockProtocol}//${host}`);
  } catch {
    return undefined;
  }
  if (siteOf(page.protocol, page.hostname) === siteOf(mock.protocol, mock.hostname)) return undefined;
  const suggested = new URL(mock.href);
  suggested.hostname = page.hostname;
  suggested.protocol = page.protocol === mock.protocol ? mock.protocol : page.protocol;
  const where = page.hostname === mock.hostname ? `page on ${page.protocol}//, mock on ${mock.protocol}//` : `page on ${page.hostname}, mock on ${mock.hostname}`;
  return (
    `${where}: the two are different sites, so the browser will not send the mock's cookies back (the sama refresh cookie, say); ` +
    `open the mock as ${suggested.origin} or use your dev server's proxy`
  );
}
