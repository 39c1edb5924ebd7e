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

  record(entry: Omit<JournalEntry, 'id'>): void {
    this.entries.push({ id: this.nextId++, ...entry });
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

  /** Forgets one session's entries, or all. */
  clear(session?: string): void {
    this.entries = session === undefined ? [] : this.entries.filter((e) => e.session !== session);
  }
}

export function truncate(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  return text.length > JOURNAL_BODY_LIMIT ? `${text.slice(0, JOURNAL_BODY_LIMIT)}…` : text;
}
