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

/** A bounded ring of the latest requests. */
export class Journal {
  private entries: JournalEntry[] = [];
  private nextId = 1;
  private readonly listeners = new Set<(entry: JournalEntry) => void>();

  /** Keeps `entry`, cut to its bounds: path, query and bodies (so one entry stays under about 11 KB). */
  record(entry: Omit<JournalEntry, 'id'>): void {
    const recorded = { id: this.nextId++, ...bounded(entry) };
    this.entries.push(recorded);
    for (const listener of this.listeners) listener(recorded);
    // Trim in batches: dropping one entry per request would shift the whole array every time.
    if (this.entries.length >= 2 * JOURNAL_CAPACITY) this.entries.splice(0, this.entries.length - JOURNAL_CAPACITY);
  }

  list(filter: JournalFilter = {}): JournalEntry[] {
    return this.entries.slice(-JOURNAL_CAPACITY).filter((e) => matches(e, filter));
  }

  /** Calls `listener` with every entry recorded from now on; returns the function that stops it. */
  subscribe(listener: (entry: JournalEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Forgets one session's entries, or all. */
  clear(session?: string): void {
    this.entries = session === undefined ? [] : this.entries.filter((e) => e.session !== session);
  }
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
export function journalHeaders(headers: Record<string, string | string[] | number | undefined> | undefined): Record<string, string | string[]> | undefined {
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
