import type { ServerResponse } from 'node:http';
import { safeEqual } from '../apis/shared/secrets';
import { send, SESSION_HEADER, type NodeHandler } from '../engine/http-adapter';
import { MAX_SESSION_NAME, problem } from '../engine/pipeline';
import type { JournalEntry } from '../state/journal';
import type { StateBackend } from '../state/backend';

/** A comment line this often keeps proxies and clients from timing the stream out. */
const HEARTBEAT_MS = 15_000;
/** Changes that come in bursts (a sign-in writes several entries) are told once per this long. */
const CHANGE_DEBOUNCE_MS = 50;
/** A stream whose client has this much unread is closed. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * `GET /__admin/events` for a client that accepts `text/event-stream`: the session's journal
 * entries as they are recorded, a `change` when its tokens, outbox, clock or faults change, `sessions` when
 * a session is made. A stream cannot go through the engine (its answers are whole documents), so
 * this handler stands in front of the control API's and makes the same checks itself: the admin
 * token, the session header. Everything else goes on to `next`.
 */
export function withEventStream(next: NodeHandler, deps: { state: StateBackend; adminToken?: string }): NodeHandler {
  const expected = deps.adminToken === undefined ? undefined : `Bearer ${deps.adminToken}`;
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/events' || !String(req.headers.accept ?? '').includes('text/event-stream')) {
      next(req, res);
      return;
    }
    if (expected !== undefined && !safeEqual(req.headers.authorization ?? '', expected)) {
      const denied = problem(401, 'Unauthorized', 'The control API needs Authorization: Bearer <admin token>');
      send(res, { ...denied, headers: { 'www-authenticate': 'Bearer realm="authdouble admin"' } });
      return;
    }
    const header = req.headers[SESSION_HEADER];
    if (header !== undefined && (typeof header !== 'string' || header === '' || header.length > MAX_SESSION_NAME)) {
      send(res, problem(400, 'Bad request', `${SESSION_HEADER} must be 1 to ${MAX_SESSION_NAME} characters`));
      return;
    }
    stream(res, deps.state, typeof header === 'string' ? header : 'default');
  };
}

function stream(res: ServerResponse, state: StateBackend, name: string): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  const write = (event: string, data: unknown): void => {
    // A client that stops reading is cut off rather than buffered for without end (with an error,
    // so that the writes still queued fail with it instead of each with one of its own: ws-guard.ts).
    if (res.writableLength > MAX_BUFFERED_BYTES) res.destroy(new Error('event stream client cut: it stopped reading'));
    else res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const known = new Set<string>([name]);
  // Events come after `ready`, which comes once the session exists (as any control call on it would
  // make it) and the sessions known then are read.
  let ready = false;
  let stopped = false;
  void state
    .run(name, () => undefined)
    .then(() => state.sessionNames())
    .then(
      (names) => {
        names.forEach((n) => known.add(n));
        if (stopped) return;
        ready = true;
        write('ready', { session: name });
      },
      () => res.destroy(),
    );

  let pending: NodeJS.Timeout | undefined;
  const stopJournal = state.journal.subscribe((entry: JournalEntry) => {
    if (ready && entry.session === name) write('request', entry);
  });
  const stopChanges = state.subscribe((session) => {
    if (!ready) return;
    if (!known.has(session)) {
      known.add(session);
      write('sessions', { session });
    }
    if (session === name && pending === undefined) {
      pending = setTimeout(() => {
        pending = undefined;
        write('change', { session: name });
      }, CHANGE_DEBOUNCE_MS);
    }
  });
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  res.on('close', () => {
    stopped = true;
    stopJournal();
    stopChanges();
    clearInterval(heartbeat);
    if (pending) clearTimeout(pending);
  });
}
