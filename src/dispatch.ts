import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { applyCors, answerPreflight, corsHeaders, crossSiteWarning, isPreflight, type CorsPolicy } from './engine/cors';
import { apiHandlerWithHeaders, send, type ApiHandler, type NodeHandler } from './engine/http-adapter';
import { problem, type ApiEngine } from './engine/pipeline';
import { originForm } from './engine/request-target';
import { redirectToConsole } from './admin/redirect';
import type { Logger } from './logger';

interface Mounted {
  engine: ApiEngine;
  handler: NodeHandler;
  /** An API's own handler, which writes the CORS headers with its answer (not the control API's). */
  api?: ApiHandler;
}

export interface DispatchConfig {
  /** The APIs by mount prefix (`/b2core`); '' for the one served at the root. */
  apis: Array<{ prefix: string; engine: ApiEngine }>;
  /** The control API, its prefix and its handler, when it is served. */
  admin?: { prefix: string; engine: ApiEngine; handler: NodeHandler };
  /** `--fallback`: where a request no API serves goes, instead of the console redirect and the 404. */
  fallback?: NodeHandler;
  /** `GET /` opens the web console (an API served at the root answers `/` itself). */
  consoleRedirect?: boolean;
  bodyLimit: number;
  cors: CorsPolicy;
  logger: Logger;
}

/**
 * The whole server as one handler on node's request and response: CORS, then the API the first
 * path segment names (or the one at the root), else a 404 problem. node:http calls it directly;
 * the Express app of createApp() mounts the same function, so both entry points behave alike.
 */
export function createDispatcher(config: DispatchConfig): NodeHandler {
  const { logger, cors } = config;
  const mounts = new Map<string, Mounted>();
  if (config.admin) {
    mounts.set(config.admin.prefix, { engine: config.admin.engine, handler: config.admin.handler });
  }
  let atRoot: Mounted | undefined;
  for (const { prefix, engine } of config.apis) {
    const handler = apiHandlerWithHeaders(engine, config.bodyLimit);
    const mounted = { engine, handler, api: handler };
    if (prefix) mounts.set(prefix, mounted);
    else atRoot = mounted;
  }
  const known = config.apis.map(({ prefix }) => `${prefix}/...`).join(', ');
  const warnCrossSite = crossSiteWarner(logger);
  const log = logger.level === 'info' ? requestLog(logger) : undefined;

  const dispatch = (req: IncomingMessage, res: ServerResponse): void => {
    const url = (req.url = originForm(req.url ?? '/'));
    // The first segment: up to the first '/' or '?' after the leading one.
    let end = 0;
    for (let i = 1; i < url.length; i++) {
      const c = url.charCodeAt(i);
      if (c === 0x2f || c === 0x3f) {
        end = i;
        break;
      }
    }
    const segment = end === 0 ? url : url.slice(0, end);
    let mounted = mounts.get(segment);
    let rest = url;
    let extra: Readonly<Record<string, string>> | undefined;
    if (mounted) rest = url.slice(segment.length);
    else mounted = atRoot;
    if (cors.enabled) {
      // Before any API sees it: a preflight is not an API call (no journal, fault or rate limit).
      if (isPreflight(req)) {
        const path = (rest.split('?')[0] ?? '').replace(/^(?!\/)/, '/');
        const accepted = mounted?.engine.methodsFor(path) ?? [];
        // A path nothing serves still gets its method allowed, so that the page can read the 404.
        answerPreflight(req, res, cors, accepted.length > 0 ? accepted : [String(req.headers['access-control-request-method'])]);
        return;
      }
      // An API writes them with its own headers, in one writeHead; anything else gets them set now.
      if (mounted?.api) extra = corsHeaders(req, cors);
      else applyCors(req, res, cors);
      warnCrossSite(req);
    }
    if (!mounted) {
      if (config.fallback) {
        config.fallback(req, res);
        return;
      }
      if (config.consoleRedirect && redirectToConsole(req, res)) return;
      const path = url.split('?')[0] ?? url;
      send(res, problem(404, 'No such route', `Nothing is served at ${req.method ?? ''} ${path}; this server serves ${known}`));
      return;
    }
    // As a mount path does in Express: the API sees the path inside it.
    if (rest !== url) req.url = rest.startsWith('/') ? rest : `/${rest}`;
    if (mounted.api) mounted.api(req, res, extra);
    else mounted.handler(req, res);
  };

  return (req, res) => {
    log?.(req, res);
    try {
      dispatch(req, res);
    } catch (err) {
      // Last resort: nothing reaches the client but a problem document.
      logger.error(`unhandled: ${(err as Error)?.stack ?? String(err)}`);
      send(res, problem(500, 'Internal error in the mock', 'The mock failed to handle this request; its log has the details.'));
    }
  };
}

/** Logs, once per pair of hosts, that a page calls the mock from another site (its cookies will not flow). */
function crossSiteWarner(logger: Logger): (req: IncomingMessage) => void {
  const warned = new Set<string>();
  return (req) => {
    const origin = req.headers.origin;
    if (origin === undefined || warned.size >= 32) return;
    const key = `${origin} ${req.headers.host ?? ''}`;
    if (warned.has(key)) return;
    const warning = crossSiteWarning(req, (req.socket as TLSSocket).encrypted ? 'https:' : 'http:');
    warned.add(key);
    if (warning) logger.warn(warning);
  };
}

/** With --log-level info: one line per request once it is answered. */
function requestLog(logger: Logger): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const started = process.hrtime.bigint();
    const url = req.url;
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info(`${req.method} ${url} ${res.statusCode} ${ms.toFixed(1)}ms`);
    });
  };
}
