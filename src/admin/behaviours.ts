import type { ApiEngine } from '../engine/pipeline';
import type { Behaviour, OperationRequest } from '../engine/types';
import { MockError } from '../errors';
import { MAX_FAULTS_PER_SESSION, type FaultSpec } from '../state/faults';
import { resetState, type SessionState, type StateBackend } from '../state/backend';
import { TokenBook, type LiveToken } from '../apis/shared/token-book';
import { decodeCursor, encodeCursor, firstInOrder, MAX_PAGE, pageOf, sortable } from './paging';
import { DURATION_FORM, parseDuration } from './duration';
import { didYouMean } from '../suggest';

/**
 * The clock stays inside 1970-01-01 .. 9000-01-01: every date the APIs write (token expiry included,
 * years later) keeps four digits, as JSON date-times and JWT claims need.
 */
const CLOCK_MIN = Date.UTC(1970, 0, 1);
const CLOCK_MAX = Date.UTC(9000, 0, 1);

/**
 * Moves a session's clock with `move`. Moving it back revives nothing: what had expired by the time
 * it moved stays gone (the store forgets it first), and everything else keeps its absolute expiry.
 */
function moveClock(session: SessionState, move: () => void, to: number): void {
  if (to < session.clock.now()) session.store.sweep(true);
  move();
}

export interface AdminDeps {
  state: StateBackend;
  engines: Map<string, ApiEngine>;
}

/** The control API's behaviours, by operationId (see openapi/admin.yaml). */
export function createAdminBehaviours({ state, engines }: AdminDeps): Record<string, Behaviour> {
  const apiParam = (req: OperationRequest): string | undefined => {
    const api = req.query.api as string | undefined;
    if (api !== undefined && !engines.has(api)) {
      throw new MockError('unknown_api', 400, `Unknown API "${api}"; this server serves ${[...engines.keys()].join(', ')}`);
    }
    return api;
  };
  /** A fault for an operation no served API has would never fire: refuse it, naming the near miss. */
  const checkOperationId = (operationId: string, api: string | undefined): void => {
    const scope = api !== undefined ? [engines.get(api)!] : [...engines.values()];
    const ids = new Set(scope.flatMap((engine) => engine.spec.operations.map((op) => op.operationId)));
    if (ids.has(operationId)) return;
    const where = api !== undefined ? `the ${api} API` : `any API this server serves (${[...engines.keys()].join(', ')})`;
    throw new MockError(
      'unknown_operation',
      400,
      `operationId "${operationId}" is not an operation of ${where}; operationIds are case-sensitive${didYouMean(operationId, ids)}`,
    );
  };
  const clock = (session: SessionState) => ({
    status: 200,
    body: { now: new Date(session.clock.now()).toISOString(), virtual: session.clock.isVirtual },
  });
  const faults = (session: SessionState, status = 200) => ({ status, body: { faults: session.faults.list() } });

  return {
    reset: async (req, { state: session }) => {
      const api = apiParam(req);
      resetState(session, api);
      if (api === undefined) await state.journal.clear(session.name);
      return { status: 200, body: { reset: api ? [api] : [...engines.keys()], session: session.name } };
    },
    getClock: (_req, ctx) => clock(ctx.state),
    setClock: (req, { state: session }) => {
      const body = req.body as { advance?: string; set?: string };
      const ms = body.advance === undefined ? 0 : parseDuration(body.advance);
      if (ms === undefined) throw new MockError('validation_failed', 400, `advance: "${body.advance}" is not a duration; write ${DURATION_FORM}`);
      const target = body.advance !== undefined ? session.clock.now() + ms : Date.parse(body.set!);
      if (!(target >= CLOCK_MIN && target < CLOCK_MAX)) {
        const what = body.advance !== undefined ? `advance: "${body.advance}" would move` : `set: "${body.set}" would put`;
        throw new MockError('validation_failed', 400, `${what} the clock outside 1970-01-01 .. 9000-01-01`);
      }
      moveClock(session, () => (body.advance !== undefined ? session.clock.advance(ms) : session.clock.set(target)), target);
      return clock(session);
    },
    resetClock: (_req, { state: session }) => {
      moveClock(session, () => session.clock.reset(), session.clock.realNow());
      return clock(session);
    },
    getOutbox: (req, ctx) => ({
      status: 200,
      body: { messages: ctx.state.outbox.list({ api: apiParam(req), to: req.query.to as string | undefined }) },
    }),
    getRequests: async (req, ctx) => {
      const since = req.query.since as string | undefined;
      const entries = await state.journal.list({
        session: ctx.session,
        api: apiParam(req),
        path: req.query.path as string | undefined,
        status: req.query.status as number | undefined,
        since: since === undefined ? undefined : Date.parse(since),
      });
      const page = pageOf(entries, (e) => sortable(e.id), req.query);
      return { status: 200, body: { requests: page.items, ...(page.next ? { next: page.next } : {}) } };
    },
    clearRequests: async (_req, ctx) => {
      await state.journal.clear(ctx.session);
      return { status: 204 };
    },
    getFaults: (_req, ctx) => faults(ctx.state),
    addFault: (req, { state: session }) => {
      const spec = req.body as FaultSpec;
      if (spec.status === undefined && spec.delayMs === undefined && !spec.drop) {
        throw new MockError('validation_failed', 400, 'A fault needs at least one of status, delayMs and drop');
      }
      if (spec.api !== undefined) apiParam({ ...req, query: { api: spec.api } });
      if (spec.operationId !== undefined) checkOperationId(spec.operationId, spec.api);
      if (session.faults.count >= MAX_FAULTS_PER_SESSION) {
        throw new MockError('validation_failed', 400, `This session already has ${MAX_FAULTS_PER_SESSION} faults, the most it can hold; clear some first (DELETE /__admin/faults)`);
      }
      session.faults.add(spec);
      return faults(session, 201);
    },
    clearFaults: (_req, ctx) => {
      ctx.state.faults.clear();
      return { status: 204 };
    },
    getKeys: async () => {
      const keys = [];
      for (const engine of engines.values()) if (engine.runtime.publicJwks) keys.push(...(await engine.runtime.publicJwks()));
      return { status: 200, body: { keys } };
    },
    getTokens: (req, { state: session }) => {
      const api = apiParam(req);
      // Oldest first, by issue time, then API and key (a token's `position`): a stable order for the
      // cursor. Without sorting every live token for each page: those past the cursor are kept, the
      // page's are picked from them, and only the page's records and texts are made.
      const limit = req.query.limit === undefined ? MAX_PAGE : Number(req.query.limit);
      const after = req.query.cursor === undefined ? undefined : positionAfter(decodeCursor(String(req.query.cursor)));
      const candidates: ListedToken[] = [];
      for (const engine of engines.values()) {
        if (api !== undefined && engine.id !== api) continue;
        const ctx = engine.contextOf(session);
        for (const live of new TokenBook(ctx.store, ctx.clock).listLive()) {
          const item = { api: engine.id, time: positionTime(live.issuedAt), live };
          if (after === undefined || after(item)) candidates.push(item);
        }
      }
      const items = firstInOrder(candidates, limit, byPosition);
      const last = items[items.length - 1];
      const page = { next: candidates.length > limit && last ? encodeCursor(positionOf(last)) : undefined };
      const tokens = items.map(({ api: id, live }) => {
        const record = live.record();
        return {
          api: id,
          kind: record.kind,
          subject: record.subject,
          session: record.family,
          issuedAt: new Date(record.issuedAt).toISOString(),
          expiresAt: new Date(record.expiresAt).toISOString(),
          token: live.text(),
        };
      });
      return { status: 200, body: { tokens, ...(page.next ? { next: page.next } : {}) } };
    },
  };
}

/** A live token in a listing of `/__admin/tokens`, with its issue time as its position counts it. */
interface ListedToken {
  api: string;
  time: number;
  live: LiveToken<unknown>;
}

/** The issue time as `sortable` writes it in a position (whole, not below zero). */
function positionTime(issuedAt: number): number {
  return Math.max(0, Math.floor(issuedAt));
}

/** Where a token stands in the listing's order: `<issue time, 16 digits>/<api>/<key>` (the cursor). */
function positionOf(t: ListedToken): string {
  return `${sortable(t.time)}/${t.api}/${t.live.key}`;
}

/** The order of positions, on their fields (API ids and keys hold no "/"). */
function byPosition(a: ListedToken, b: ListedToken): number {
  return a.time - b.time || byText(a.api, b.api) || byText(a.live.key, b.live.key);
}

function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Whether a token comes after the position of a cursor. A position this server gave is compared on
 * its fields; anything else (a cursor of another listing) as text, as positions compare.
 */
function positionAfter(position: string): (t: ListedToken) => boolean {
  const m = /^(\d{16})\/([^/]*)\/([^/]*)$/.exec(position);
  if (!m) return (t) => positionOf(t) > position;
  const time = Number(m[1]);
  const [, , api, key] = m as unknown as [string, string, string, string];
  return (t) => t.time > time || (t.time === time && (t.api > api || (t.api === api && t.live.key > key)));
}
