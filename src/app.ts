import type { Express } from 'express';
import { apiModules } from './apis';
import { exposedHeaders, type CorsPolicy } from './engine/cors';
import { createDispatcher } from './dispatch';
import { fallbackHandler } from './fallback';
import { apiHandler, type NodeHandler } from './engine/http-adapter';
import { loadApi } from './engine/load-api';
import type { ApiEngine } from './engine/pipeline';
import { createLogger, type Logger } from './logger';
import { isLoopback, resolveOptions, type ServerOptions } from './options';
import { ADMIN_PREFIX, createAdminEngine } from './admin';
import { withEventStream } from './admin/events';
import { Sessions, storePrefix } from './state/sessions';
import type { StateBackend } from './state/backend';
import type { Clock } from './state/clock';
import type { StoreBounds } from './state/bounds';
import { defaultKeysFile, KeyRing } from './apis/shared/keys';

export interface MockApp {
  /**
   * The mock as an Express app, to mount in your own (`yourApp.use('/mock', mock.app)`): the same
   * handler as `handler`, made (and Express loaded) on first access.
   */
  readonly app: Express;
  /** The mock as a handler on node's request and response: what the server hands node:http. */
  handler: NodeHandler;
  options: ServerOptions;
  engines: Map<string, ApiEngine>;
  /** Where the state lives: this process (`--store memory`) or Redis. */
  state: StateBackend;
  /**
   * The state of this process with the memory store (what --state-file saves). With a Redis store
   * there is none here: reading it throws (use `state`).
   */
  readonly sessions: Sessions;
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
  /** How many state entries are kept (default: DEFAULT_STORE_BOUNDS, documented in docs/hardening.md). */
  bounds?: StoreBounds;
  /** Signing keys to use instead of those of the keys file. */
  keys?: KeyRing;
}

/**
 * Builds the handler serving every configured API (and, on demand, an Express app around it). Does
 * not listen: that is the CLI's job (or the caller's, with `startServer()` from ./server).
 */
export async function createApp(partial: Partial<ServerOptions> = {}, deps: CreateAppDeps = {}): Promise<MockApp> {
  const options = resolveOptions(partial, apiModules.map((m) => m.id));
  const logger = deps.logger ?? createLogger(options.logLevel);
  // Loaded only when asked for: the Redis client is no part of a memory store's start-up.
  const redisModule = options.store === 'memory' ? undefined : await import('./state/redis');
  const redis = await redisModule?.RedisBackend.connect({ url: options.store, logger, clock: deps.clock });
  const sessions = redis ? undefined : new Sessions(deps.clock, deps.bounds);
  const state: StateBackend = redis ?? sessions!;
  const engines = new Map<string, ApiEngine>();
  const prefixes = new Map<string, string>();
  // With Redis, the keys live there; with a state file, the server fills the ring from it; otherwise the keys file does.
  const keys =
    deps.keys ??
    (redis
      ? new KeyRing(new redisModule!.RedisKeys(redis))
      : options.stateFile !== undefined
        ? new KeyRing()
        : KeyRing.fromFile(options.keysFile ?? defaultKeysFile(), { explicit: options.keysFile !== undefined, logger }));
  const modules = apiModules.filter((m) => options.apis.includes(m.id));
  for (const m of modules) if (m.linkedRecords) sessions?.count.link(storePrefix(m.id), m.linkedRecords);
  const loaded = await Promise.all(modules.map((module) => loadApi(module, options, state, logger, keys))).catch(async (err: unknown) => {
    await redis?.close();
    throw err;
  });
  modules.forEach((module, i) => {
    engines.set(module.id, loaded[i]!);
    prefixes.set(module.id, options.root ? '' : `/${module.id}`);
  });

  if (!isLoopback(options.host) && options.admin && !options.adminToken) {
    logger.warn(`listening on ${options.host} with the control API open to anyone who can reach it; set --admin-token or --no-admin`);
  }
  const handler = createDispatcher({
    apis: [...engines].map(([id, engine]) => ({ prefix: prefixes.get(id)!, engine })),
    admin: options.admin ? adminMount(options, { state, engines, logger, prefixes }) : undefined,
    // With --fallback, even `/` belongs to the upstream (the console stays at /__admin/).
    fallback: options.fallback !== undefined ? fallbackHandler(new URL(options.fallback), state.journal, logger, () => options.cors) : undefined,
    consoleRedirect: options.admin,
    bodyLimit: options.bodyLimit,
    cors: corsPolicy(options, [...engines.values()]),
    logger,
  });
  let app: Express | undefined;
  const mock = { options, engines, state, logger, prefixes, keys, handler } as MockApp;
  Object.defineProperty(mock, 'sessions', {
    enumerable: false,
    get: () => {
      if (!sessions) throw new Error('the state is in Redis (--store): read it through `state`, not `sessions`');
      return sessions;
    },
  });
  // Express is loaded only by those who ask for the app (to mount the mock in their own).
  Object.defineProperty(mock, 'app', { enumerable: true, get: () => (app ??= expressApp(handler)) });
  return mock;
}

/** The control API: its engine (with the console's endpoints), and the event stream in front of it. */
function adminMount(
  options: ServerOptions,
  deps: { state: StateBackend; engines: Map<string, ApiEngine>; logger: Logger; prefixes: Map<string, string> },
) {
  const { state, engines, logger, prefixes } = deps;
  const engine = createAdminEngine({
    ...{ state, engines, adminToken: options.adminToken, strict: options.strict, logger },
    console: { specDir: options.specDir, fixturesDir: options.fixturesDir, prefixes, https: options.https },
  });
  const handler = withEventStream(apiHandler(engine, 64 * 1024, { journal: false }), { state, adminToken: options.adminToken });
  return { prefix: ADMIN_PREFIX, engine, handler };
}

/** An Express app that serves everything through `handler`: the same behaviour as node:http. */
function expressApp(handler: NodeHandler): Express {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand: it costs a third of start-up
  const express = require('express') as typeof import('express');
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((req, res) => handler(req, res));
  return app;
}

function corsPolicy(options: ServerOptions, engines: ApiEngine[]): CorsPolicy {
  return {
    enabled: options.cors,
    origins: options.corsOrigins,
    exposeHeaders: exposedHeaders(engines.flatMap((engine) => engine.responseHeaders())),
  };
}
