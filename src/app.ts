import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { apiModules } from './apis';
import { fallbackHandler } from './fallback';
import type { TLSSocket } from 'node:tls';
import { applyCors, answerPreflight, crossSiteWarning, exposedHeaders, isPreflight, type CorsPolicy } from './engine/cors';
import { apiHandler, send } from './engine/http-adapter';
import { originForm } from './engine/request-target';
import { loadApi } from './engine/load-api';
import { problem, type ApiEngine } from './engine/pipeline';
import { createLogger, type Logger } from './logger';
import { isLoopback, resolveOptions, type ServerOptions } from './options';
import { ADMIN_PREFIX, createAdminEngine } from './admin';
import { withEventStream } from './admin/events';
import { redirectToConsole } from './admin/redirect';
import { Sessions } from './state/sessions';
import type { Clock } from './state/clock';
import { defaultKeysFile, KeyRing } from './apis/shared/keys';

export interface MockApp {
  app: Express;
  options: ServerOptions;
  engines: Map<string, ApiEngine>;
  sessions: Sessions;
  logger: Logger;
  /** Where each API is mounted: `/b2core`, or '' at the root. */
  prefixes: Map<string, string>;
  /** The signing keys: in the keys file, or (with a state file) filled from it by the server. */
  keys: KeyRing;
}

export interface CreateAppDeps {
  logger?: Logger;
  /** The real-time source under every session's virtual clock. */
  clock?: Clock;
  /** Signing keys to use instead of those of the keys file. */
  keys?: KeyRing;
}

/**
 * Builds the Express app serving every configured API. Does not listen: that is the CLI's job (or
 * the caller's, with `listen()` from ./server).
 */
export async function createApp(partial: Partial<ServerOptions> = {}, deps: CreateAppDeps = {}): Promise<MockApp> {
  const options = resolveOptions(partial, apiModules.map((m) => m.id));
  const logger = deps.logger ?? createLogger(options.logLevel);
  const sessions = new Sessions(deps.clock);
  const engines = new Map<string, ApiEngine>();
  const prefixes = new Map<string, string>();
  // With a state file, the server fills the ring from it; otherwise the keys file does.
  const keys =
    deps.keys ??
    (options.stateFile !== undefined
      ? new KeyRing()
      : KeyRing.fromFile(options.keysFile ?? defaultKeysFile(), { explicit: options.keysFile !== undefined, logger }));
  const modules = apiModules.filter((m) => options.apis.includes(m.id));
  const loaded = await Promise.all(modules.map((module) => loadApi(module, options, sessions, logger, keys)));
  modules.forEach((module, i) => {
    engines.set(module.id, loaded[i]!);
    prefixes.set(module.id, options.root ? '' : `/${module.id}`);
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  if (logger.level === 'info') app.use(requestLog(logger));
  // One dispatcher by first path segment: cheaper than an Express layer per API on every request.
  const mounts = new Map<string, Mounted>();
  if (options.admin) {
    const admin = createAdminEngine({
      ...{ sessions, engines, adminToken: options.adminToken, strict: options.strict, logger },
      console: { specDir: options.specDir, fixturesDir: options.fixturesDir, prefixes },
    });
    const handler = withEventStream(apiHandler(admin, 64 * 1024, { journal: false }), { sessions, adminToken: options.adminToken });
    mounts.set(ADMIN_PREFIX, { engine: admin, handler });
  }
  if (!isLoopback(options.host) && options.admin && !options.adminToken) {
    logger.warn(`listening on ${options.host} with the control API open to anyone who can reach it; set --admin-token or --no-admin`);
  }
  let atRoot: Mounted | undefined;
  for (const [id, engine] of engines) {
    const prefix = prefixes.get(id)!;
    const mounted = { engine, handler: apiHandler(engine, options.bodyLimit) };
    if (prefix) mounts.set(prefix, mounted);
    else atRoot = mounted;
  }
  const cors = corsPolicy(options, [...engines.values()]);
  const warnCrossSite = crossSiteWarner(logger);
  app.use((req, res, next) => {
    const url = (req.url = originForm(req.url));
    const end = url.slice(1).search(/[/?]/) + 1;
    const segment = end === 0 ? url : url.slice(0, end);
    let mounted = mounts.get(segment);
    let rest = url;
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
      applyCors(req, res, cors);
      warnCrossSite(req);
    }
    if (!mounted) {
      next();
      return;
    }
    // As Express does for a mount path: the handler sees the path inside it.
    if (rest !== url) req.url = rest.startsWith('/') ? rest : `/${rest}`;
    mounted.handler(req, res, next);
  });
  // With --fallback, even `/` belongs to the upstream (the console stays at /__admin/).
  if (options.fallback !== undefined) app.use(fallbackHandler(new URL(options.fallback), sessions.journal, logger, () => options.cors));
  // `GET /` opens the web console (an API served at the root answers `/` itself).
  if (options.admin) app.use(redirectToConsole);
  app.use((req: Request, res: Response) => {
    const known = [...prefixes.values()].map((p) => `${p}/...`).join(', ');
    send(res, problem(404, 'No such route', `Nothing is served at ${req.method} ${req.path}; this server serves ${known}`));
  });
  // Last resort: nothing reaches the client but a problem document.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    logger.error(`unhandled: ${(err as Error)?.stack ?? String(err)}`);
    send(res, problem(500, 'Internal error in the mock', 'The mock failed to handle this request; its log has the details.'));
  });
  return { app, options, engines, sessions, logger, prefixes, keys };
}

interface Mounted {
  engine: ApiEngine;
  handler: RequestHandler;
}

function corsPolicy(options: ServerOptions, engines: ApiEngine[]): CorsPolicy {
  return {
    enabled: options.cors,
    origins: options.corsOrigins,
    exposeHeaders: exposedHeaders(engines.flatMap((engine) => engine.responseHeaders())),
  };
}

/** Logs, once per pair of hosts, that a page calls the mock from another site (its cookies will not flow). */
function crossSiteWarner(logger: Logger): (req: Request) => void {
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

function requestLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info(`${req.method} ${req.originalUrl} ${res.statusCode} ${ms.toFixed(1)}ms`);
    });
    next();
  };
}
