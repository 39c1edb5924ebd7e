import type { RequestHandler } from 'express';
import { ADMIN_PREFIX } from '.';

/** `GET /` (and HEAD) → 302 to the web console; any other request at `/` goes on (to the 404). */
export const redirectToConsole: RequestHandler = (req, res, next) => {
  if ((req.method !== 'GET' && req.method !== 'HEAD') || req.path !== '/') {
    next();
    return;
  }
  res.writeHead(302, { location: `${ADMIN_PREFIX}/ui`, 'content-length': '0' });
  res.end();
};
