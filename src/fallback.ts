import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { SESSION_HEADER, send } from './engine/http-adapter';
import { MAX_SESSION_NAME, problem } from './engine/pipeline';
import type { Logger } from './logger';
import type { RequestJournal } from './state/backend';

/** Headers that belong to one connection, not to the request or response (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host']);
/** How long the upstream may take to answer before the client gets a 504. */
const UPSTREAM_TIMEOUT_MS = 30_000;

/**
 * Forwards a request that no API serves to the upstream, unchanged (method, path under the
 * upstream's base path, query, headers but the connection's own, body), and streams its answer
 * back. CORS headers already set on `res` win over the upstream's. The journal marks the entry with
 * `api: "fallback"` and `forwardedTo`.
 */
export function fallbackHandler(upstream: URL, journal: RequestJournal, logger: Logger, corsApplied: () => boolean) {
  const base = upstream.pathname.replace(/\/+$/, '');
  return (req: IncomingMessage, res: ServerResponse): void => {
    const startedAt = Date.now();
    const target = new URL(`${base}${req.url ?? '/'}`, upstream);
    const headers: IncomingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name)) headers[name] = value;
    headers.host = upstream.host;
    const sessionHeader = req.headers[SESSION_HEADER];
    const session = typeof sessionHeader === 'string' && sessionHeader !== '' ? sessionHeader : 'default';
    const record = (status: number) => {
      if (session.length > MAX_SESSION_NAME) return;
      journal.record({
        receivedAt: new Date(startedAt).toISOString(),
        session,
        api: 'fallback',
        method: req.method ?? 'GET',
        path: target.pathname,
        query: Object.fromEntries(target.searchParams),
        status,
        durationMs: Date.now() - startedAt,
        forwardedTo: target.origin,
      });
    };
    const fail = (status: number, detail: string) => {
      logger.warn(`fallback: ${req.method} ${target.href}: ${detail}`);
      if (res.headersSent) res.destroy();
      else send(res, problem(status, status === 504 ? 'Fallback upstream timed out' : 'Fallback upstream failed', detail));
      record(status);
    };
    const outgoing = (upstream.protocol === 'https:' ? httpsRequest : httpRequest)(
      target,
      { method: req.method, headers, timeout: UPSTREAM_TIMEOUT_MS },
      (answer) => {
        const out: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          if (value === undefined || HOP_BY_HOP.has(name)) continue;
          if (name.startsWith('access-control-') && corsApplied()) continue;
          out[name] = value;
        }
        res.writeHead(answer.statusCode ?? 502, out);
        answer.pipe(res);
        answer.once('end', () => record(answer.statusCode ?? 502));
        answer.once('error', () => res.destroy());
      },
    );
    outgoing.once('timeout', () => outgoing.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    outgoing.once('error', (err: NodeJS.ErrnoException) => {
      const timedOut = err.code === 'ETIMEDOUT';
      fail(timedOut ? 504 : 502, `${upstream.origin} ${timedOut ? `did not answer within ${UPSTREAM_TIMEOUT_MS / 1000} s` : `could not be reached (${err.code ?? err.message})`}`);
    });
    req.pipe(outgoing);
  };
}
