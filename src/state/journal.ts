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

/** A bounded ring of the latest requests. */
export class Journal {
  private entries: JournalEntry[] = [];
  private nextId = 1;
  private readonly listeners = new Set<(entry: JournalEntry) => void>();

  record(entry: Omit<JournalEntry, 'id'>): void {
    const recorded = { id: this.nextId++, ...entry };
    this.entries.push(recorded);
    for (const listener of this.listeners) listener(recorded);
    // Trim in batches: dropping one entry per request would shift the whole array every time.
    if (this.entries.length >= 2 * JOURNAL_CAPACITY) this.entries.splice(0, this.entries.length - JOURNAL_CAPACITY);
  }

  list(filter: JournalFilter = {}): JournalEntry[] {
    return this.entries.slice(-JOURNAL_CAPACITY).filter(
      (e) =>
        (filter.session === undefined || e.session === filter.session) &&
        (filter.api === undefined || e.api === filter.api) &&
        (filter.path === undefined || e.path.startsWith(filter.path)) &&
        (filter.status === undefined || e.status === filter.status) &&
        (filter.since === undefined || Date.parse(e.receivedAt) >= filter.since),
    );
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

export function truncate(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  return text.length > JOURNAL_BODY_LIMIT ? `${text.slice(0, JOURNAL_BODY_LIMIT)}…` : text;
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
  return value.length > JOURNAL_HEADER_LIMIT ? `${value.slice(0, JOURNAL_HEADER_LIMIT)}…` : value;
}
