import type { IncomingMessage, ServerResponse } from 'node:http';
import { ADMIN_PREFIX } from '.';

/**
 * `GET /` (and HEAD) → 302 to the web console, and true; any other request is left alone (false),
 * to go on to the 404.
 */
export function redirectToConsole(req: IncomingMessage, res: ServerResponse): boolean {
  if ((req.method !== 'GET' && req.method !== 'HEAD') || (req.url ?? '/').split('?')[0] !== '/') return false;
  res.writeHead(302, { location: `${ADMIN_PREFIX}/ui`, 'content-length': '0' });
  res.end();
  return true;
}
