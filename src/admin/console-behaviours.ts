import { apiModules } from '../apis';
import { TokenBook } from '../apis/shared/token-book';
import type { Behaviour } from '../engine/types';
import { MockError } from '../errors';
import { defaultFixturesDir } from '../paths';
import type { AdminDeps } from './behaviours';
import type { SessionState } from '../state/backend';

/** What the console's calls need besides the state: where specs and fixtures come from, and the mounts. */
export interface ConsoleDeps {
  specDir: string;
  fixturesDir: string;
  /** API id → mount prefix (`/b2core`, or '' at the root). */
  prefixes: Map<string, string>;
  /** Served over TLS: the specs' servers say https:// and wss://. */
  https?: boolean;
}

/**
 * The control-API calls the web console needs (openapi/admin.yaml, tag `console`). What they serve
 * (files, fixtures, specs) is read on first request, not at start-up.
 */
export function createConsoleBehaviours({ state, engines }: AdminDeps, deps: ConsoleDeps): Record<string, Behaviour> {
  const knownApi = (api: string): void => {
    if (!engines.has(api)) throw new MockError('unknown_api', 400, `Unknown API "${api}"; this server serves ${[...engines.keys()].join(', ')}`);
  };
  let accounts: Promise<Array<import('./accounts').Account>> | undefined;
  let folders: Promise<{ ui: import('./assets').AssetFolder; docs: import('./assets').AssetFolder }> | undefined;
  const assets = () =>
    (folders ??= import('./assets').then(({ AssetFolder, CONSOLE_DIR, swaggerUiDir }) => ({
      ui: new AssetFolder(() => CONSOLE_DIR),
      docs: new AssetFolder(swaggerUiDir, ['swagger-ui-bundle.js', 'swagger-ui.css']),
    })));

  return {
    listSessions: async (_req, ctx) => {
      const names = (await state.sessionNames()).sort((a, b) => Number(b === 'default') - Number(a === 'default'));
      const describe = (s: SessionState) => ({
        name: s.name,
        now: new Date(s.clock.now()).toISOString(),
        virtual: s.clock.isVirtual,
        pinned: s.clock.state.pinnedAt !== undefined,
      });
      const sessions = [];
      // This request's own session is the step's; the others are read in steps of their own.
      for (const name of names) sessions.push(name === ctx.session ? describe(ctx.state) : await state.run(name, describe));
      return { status: 200, body: { sessions } };
    },
    listAccounts: async (req) => {
      const api = req.query.api as string | undefined;
      if (api !== undefined) knownApi(api);
      if (!accounts) {
        accounts = loadAccounts([...engines.keys()], deps.fixturesDir);
        // A fixture broken on disk since start-up: fail this call, try again on the next.
        accounts.catch(() => (accounts = undefined));
      }
      return { status: 200, body: { accounts: (await accounts).filter((a) => api === undefined || a.api === api) } };
    },
    endTokenSession: (req, { state: session }) => {
      const api = req.pathParams.api as string;
      const family = req.pathParams.session as string;
      knownApi(api);
      const ctx = engines.get(api)!.contextOf(session);
      const book = new TokenBook(ctx.store, ctx.clock);
      if (!book.familyAlive(family)) throw new MockError('not_found', 404, `${api} has no live sign-in session ${family}`);
      book.endFamily(family);
      return { status: 204 };
    },
    removeFault: (req, ctx) => {
      const id = req.pathParams.id as number;
      if (!ctx.state.faults.remove(id)) throw new MockError('not_found', 404, `There is no fault ${id} in this session`);
      return { status: 204 };
    },
    streamEvents: () => {
      // A request that accepts text/event-stream never gets here (see events.ts).
      throw new MockError('not_acceptable', 406, 'The event stream is text/event-stream: send Accept: text/event-stream (EventSource does)');
    },
    getSpec: async (req) => {
      const { renderSpec } = await import('./specs');
      const prefixes = new Map([...deps.prefixes, ['admin', '/__admin']]);
      const { body, contentType } = renderSpec({ specDir: deps.specDir, prefixes, https: deps.https }, req.pathParams.file as string, req.headers.host);
      return { status: 200, body, contentType, headers: { 'cache-control': 'no-cache' } };
    },
    getDocs: async (req) => {
      const api = req.pathParams.api as string;
      if (api !== 'admin' && !engines.has(api)) throw new MockError('not_found', 404, `This server serves no API "${api}"`);
      const { page } = await import('./assets');
      return page('docs.html', { api });
    },
    getDocsAsset: async (req) => (await assets()).docs.get(req.pathParams.file as string),
    getConsole: async () => {
      const { page } = await import('./assets');
      // The console learns which APIs are served, and where, from the page itself.
      return page('index.html', { apis: JSON.stringify(Object.fromEntries(deps.prefixes)) });
    },
    getConsoleAsset: async (req) => (await assets()).ui.get(req.pathParams.file as string),
  };
}

async function loadAccounts(apis: string[], fixturesDir: string): Promise<Array<import('./accounts').Account>> {
  const [{ accountsOf }, { fixtureFile, loadFixture }] = await Promise.all([import('./accounts'), import('../fixtures/load')]);
  return apiModules
    .filter((m) => apis.includes(m.id))
    .flatMap((m) => accountsOf[m.id]?.(loadFixture(m, fixtureFile(m.id, fixturesDir, defaultFixturesDir))) ?? []);
}
