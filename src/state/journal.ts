/** One request the mock received, as the control API reports it. */
export interface JournalEntry {
  id: number;
  receivedAt: string;
  /** The state session the request belonged to. */
  session: string;
  api: string;
  operationId?: string;
  method: string;
  path: string;
  query: Record<string, unknown>;
  /** 0 when a fault dropped the connection. */
  status: number;
  durationMs: number;
  requestBody?: string;
  responseBody?: string;
  /** For a request no API serves, sent on with --fallback: the upstream's origin (`api` is `fallback`). */
  forwardedTo?: string;
  /** The request's headers as received. */
  requestHeaders?: Record<string, string | string[]>;
  /** The headers the mock set on its answer (content type included). */
  responseHeaders?: Record<string, string | string[]>;
}

export interface JournalFilter {
  session?: string;
  api?: string;
  /** Path prefix. */
  path?: string;
  status?: number;
  /** Epoch milliseconds: entries received at or after. */
  since?: number;
}

/** Past this many entries (all sessions together) the oldest are dropped, so memory stays bounded. */
export const JOURNAL_CAPACITY = 1000;
/** Bodies are kept up to this many characters. */
export const JOURNAL_BODY_LIMIT = 4096;
/** The path is kept up to this many characters. */
export const JOURNAL_PATH_LIMIT = 1024;
/**
 * The query is kept up to this many characters (as JSON): parameters past it are left out, and
 * `…` says how many.
 */
export const JOURNAL_QUERY_LIMIT = 1024;

type HeaderSet = Record<string, string | string[] | number | undefined>;

/**
 * One exchange as the engine hands it over at the end of a request: references to what the request
 * and the response already hold. The journal renders it into a JournalEntry (an ISO date, bounded
 * copies of the headers) only when it is read, so a request pays for none of that; a request body
 * becomes text at once, and whatever could hold more than the bounds allow is cut at once.
 */
export type Exchange = Pick<JournalEntry, 'session' | 'api' | 'operationId' | 'method' | 'path' | 'query' | 'status' | 'durationMs' | 'responseBody'> & {
  /** Epoch milliseconds. */
  startedAt: number;
  requestBody?: Buffer | string;
  requestHeaders?: HeaderSet;
  /** The headers the answer was given; `contentType` is added to them as `content-type`. */
  responseHeaders?: HeaderSet;
  contentType?: string;
};

/** The JournalEntry an exchange becomes (without its id), cut to the journal's bounds. */
export function renderExchange(x: Exchange): Omit<JournalEntry, 'id'> {
  return entryOf(x, truncateTo(x.path, JOURNAL_PATH_LIMIT), boundedQuery(x.query));
}

/** The entry of `x`, whose path and query are already bounded (cutting them twice would cut more). */
function entryOf(x: Exchange, path: string, query: Record<string, unknown>): Omit<JournalEntry, 'id'> {
  return {
    receivedAt: new Date(x.startedAt).toISOString(),
    session: x.session,
    api: x.api,
    operationId: x.operationId,
    method: x.method,
    path,
    query,
    status: x.status,
    durationMs: x.durationMs,
    requestBody: truncate(typeof x.requestBody === 'string' || x.requestBody === undefined ? x.requestBody : x.requestBody.toString('utf8')),
    responseBody: truncate(x.responseBody),
    requestHeaders: journalHeaders(x.requestHeaders),
    responseHeaders: journalHeaders({ ...x.responseHeaders, ...(x.contentType ? { 'content-type': x.contentType } : {}) }),
  };
}

/**
 * An entry of the in-memory journal: what the filters look at, and the exchange it renders from
 * (once, when first read).
 */
interface Kept {
  id: number;
  session: string;
  api: string;
  /** Already cut to JOURNAL_PATH_LIMIT, as the rendered entry's. */
  path: string;
  status: number;
  startedAt: number;
  exchange?: Exchange;
  entry?: JournalEntry;
}

/** A bounded ring of the latest requests. */
export class Journal {
  /**
   * The latest JOURNAL_CAPACITY entries; once full, `oldest` is where the next one goes. A ring, so
   * that an entry lives exactly JOURNAL_CAPACITY requests: trimming in batches kept up to twice as
   * many, long enough for most to survive two young-generation collections under load and be
   * copied to the old one (about 1 KB per request of an authenticated load, most of its GC time).
   */
  private entries: Kept[] = [];
  private oldest = 0;
  private nextId = 1;
  private readonly listeners = new Set<(entry: JournalEntry) => void>();

  /** Keeps `entry`, cut to its bounds: path, query and bodies (so one entry stays under about 11 KB). */
  record(entry: Omit<JournalEntry, 'id'>): void {
    const rendered = { id: this.nextId++, ...bounded(entry) };
    this.keep({
      id: rendered.id,
      session: rendered.session,
      api: rendered.api,
      path: rendered.path,
      status: rendered.status,
      startedAt: Date.parse(rendered.receivedAt),
      entry: rendered,
    });
  }

  /**
   * Keeps an exchange as references (see Exchange), to be rendered when read. Parts that could
   * exceed the bounds (a long body, path or query, many or long headers) are cut now, so memory
   * stays as bounded as with rendered entries.
   */
  recordExchange(x: Exchange): void {
    // `x` is the journal's from now on: it is cut in place, not copied.
    x.path = truncateTo(x.path, JOURNAL_PATH_LIMIT);
    if (!isEmpty(x.query)) x.query = boundedQuery(x.query);
    // A request body as text now: a small Buffer is a view of an 8 KB pool slab, which keeping it would keep.
    if (x.requestBody !== undefined) x.requestBody = truncate(typeof x.requestBody === 'string' ? x.requestBody : x.requestBody.toString('utf8'));
    x.responseBody = truncate(x.responseBody);
    if (!withinHeaderBounds(x.requestHeaders)) x.requestHeaders = journalHeaders(x.requestHeaders);
    if (!withinHeaderBounds(x.responseHeaders)) x.responseHeaders = journalHeaders(x.responseHeaders);
    this.keep({ id: this.nextId++, session: x.session, api: x.api, path: x.path, status: x.status, startedAt: x.startedAt, exchange: x });
  }

  private keep(kept: Kept): void {
    if (this.entries.length < JOURNAL_CAPACITY) this.entries.push(kept);
    else {
      this.entries[this.oldest] = kept;
      this.oldest = (this.oldest + 1) % JOURNAL_CAPACITY;
    }
    if (this.listeners.size > 0) {
      const entry = rendered(kept);
      for (const listener of this.listeners) listener(entry);
    }
  }

  list(filter: JournalFilter = {}): JournalEntry[] {
    return this.inOrder()
      .filter((e) => keptMatches(e, filter))
      .map(rendered);
  }

  /** Calls `listener` with every entry recorded from now on; returns the function that stops it. */
  subscribe(listener: (entry: JournalEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Forgets one session's entries, or all. */
  clear(session?: string): void {
    this.entries = session === undefined ? [] : this.inOrder().filter((e) => e.session !== session);
    this.oldest = 0;
  }

  /** The entries, oldest first. */
  private inOrder(): Kept[] {
    return this.oldest === 0 ? this.entries : this.entries.slice(this.oldest).concat(this.entries.slice(0, this.oldest));
  }
}

function rendered(kept: Kept): JournalEntry {
  if (kept.entry === undefined) {
    const x = kept.exchange!;
    kept.entry = { id: kept.id, ...entryOf(x, x.path, isEmpty(x.query) ? {} : x.query) };
    kept.exchange = undefined;
  }
  return kept.entry;
}

/** As matches(), on what an entry keeps before it is rendered. */
function keptMatches(e: Kept, filter: JournalFilter): boolean {
  return (
    (filter.session === undefined || e.session === filter.session) &&
    (filter.api === undefined || e.api === filter.api) &&
    (filter.path === undefined || e.path.startsWith(filter.path)) &&
    (filter.status === undefined || e.status === filter.status) &&
    (filter.since === undefined || e.startedAt >= filter.since)
  );
}

function isEmpty(record: Record<string, unknown>): boolean {
  for (const key in record) if (Object.hasOwn(record, key)) return false;
  return true;
}

/** Whether journalHeaders() would keep `headers` whole (then a reference is as good as a copy). */
function withinHeaderBounds(headers: HeaderSet | undefined): boolean {
  if (headers === undefined) return true;
  let count = 0;
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined) continue;
    if (++count > JOURNAL_HEADER_COUNT) return false;
    if (typeof value === 'string') {
      if (value.length > JOURNAL_HEADER_LIMIT) return false;
    } else if (Array.isArray(value)) {
      if (value.length > 8) return false;
      for (const v of value) if (String(v).length > JOURNAL_HEADER_LIMIT) return false;
    } else if (String(value).length > JOURNAL_HEADER_LIMIT) return false;
  }
  return true;
}

/** `entry` cut to the journal's bounds: path, query and bodies (so it stays under about 11 KB). */
export function bounded(entry: Omit<JournalEntry, 'id'>): Omit<JournalEntry, 'id'> {
  return {
    ...entry,
    path: truncateTo(entry.path, JOURNAL_PATH_LIMIT),
    query: boundedQuery(entry.query),
    requestBody: truncate(entry.requestBody),
    responseBody: truncate(entry.responseBody),
  };
}

export function matches(e: JournalEntry, filter: JournalFilter): boolean {
  return (
    (filter.session === undefined || e.session === filter.session) &&
    (filter.api === undefined || e.api === filter.api) &&
    (filter.path === undefined || e.path.startsWith(filter.path)) &&
    (filter.status === undefined || e.status === filter.status) &&
    (filter.since === undefined || Date.parse(e.receivedAt) >= filter.since)
  );
}

export function truncate(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  return truncateTo(text, JOURNAL_BODY_LIMIT);
}

function truncateTo(text: string, limit: number): string {
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}

/** The query's parameters in order while they fit JOURNAL_QUERY_LIMIT; a long value is cut. */
function boundedQuery(query: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let budget = JOURNAL_QUERY_LIMIT;
  const keys = Object.keys(query);
  let kept = 0;
  for (const key of keys) {
    const value = query[key];
    const text = typeof value === 'string' ? value : JSON.stringify(value) ?? '';
    const cost = key.length + text.length + 6;
    if (key.length > 128 || (cost > budget && budget < 64)) break;
    out[key] = cost <= budget ? value : truncateTo(text, Math.max(0, budget - key.length - 6));
    budget -= Math.min(cost, budget);
    kept++;
  }
  if (kept < keys.length) out['…'] = `${keys.length - kept} more parameters left out`;
  return out;
}

/** Headers are kept up to this many, each value up to this many characters, so memory stays bounded. */
export const JOURNAL_HEADER_COUNT = 50;
export const JOURNAL_HEADER_LIMIT = 512;

/** A bounded copy of a header set, for the journal. */
export function journalHeaders(headers: HeaderSet | undefined): Record<string, string | string[]> | undefined {
  if (headers === undefined) return undefined;
  // No prototype: a header named __proto__ stays a plain entry.
  const out = Object.create(null) as Record<string, string | string[]>;
  let count = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (++count > JOURNAL_HEADER_COUNT) break;
    out[name] = Array.isArray(value) ? value.slice(0, 8).map((v) => truncateHeader(v)) : truncateHeader(String(value));
  }
  return out;
}

function truncateHeader(value: string): string {
  return truncateTo(value, JOURNAL_HEADER_LIMIT);
}
