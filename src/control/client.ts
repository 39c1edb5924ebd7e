import type { Agent } from 'undici';
import { SESSION_HEADER } from '../headers';
import type { OutboxMessage } from '../state/outbox';
import type { JournalEntry } from '../state/journal';
import type { Fault, FaultSpec } from '../state/faults';

export interface ClockState {
  now: Date;
  virtual: boolean;
}

export interface TokenInfo {
  api: string;
  kind: string;
  subject: string;
  session: string;
  issuedAt: string;
  expiresAt: string;
  token: string;
}

export interface RequestFilter {
  api?: string;
  path?: string;
  status?: number;
  since?: Date | string;
}

/** A control API call that did not succeed: the status and the problem's detail. */
export class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

export interface ControlClientOptions {
  /** The isolated state session to act on (X-Authdouble-Session); `default` without it. */
  session?: string;
  /** The server's --admin-token, when it has one. */
  adminToken?: string;
  /** Milliseconds before a call gives up (default 10 s). */
  timeoutMs?: number;
  /** A PEM certificate to trust for an https server (the mock's own self-signed one, say). */
  ca?: string;
}

/**
 * A typed client of authdouble's control API (`/__admin`), over HTTP: the same calls work against
 * an in-process mock (startMock) and a server started elsewhere.
 */
export class ControlClient {
  private readonly base: string;
  private readonly dispatcher?: Agent;

  /** @param origin the server's origin, e.g. `http://127.0.0.1:4600` (a path after it is ignored). */
  constructor(
    origin: string,
    private readonly options: ControlClientOptions = {},
  ) {
    this.base = `${new URL(origin).origin}/__admin`;
    if (options.ca) {
      // undici (about 100 modules) loads only for a client given a CA, not with every startMock().
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand
      const { Agent: UndiciAgent } = require('undici') as typeof import('undici');
      this.dispatcher = new UndiciAgent({ connect: { ca: options.ca } });
    }
  }

  /** The same server, another state session. */
  session(name: string): ControlClient {
    return new ControlClient(this.base, { ...this.options, session: name });
  }

  /** Whether the server answers the control API (it may be absent, or need a token). */
  async available(): Promise<boolean> {
    return (await this.probe()) === 'available';
  }

  /**
   * What the server's `/__admin` says: `available`; `needs-token` (401 and no token was given);
   * `token-refused` (401 to the token given); or `absent` (anything else: no control API there).
   */
  async probe(): Promise<'available' | 'needs-token' | 'token-refused' | 'absent'> {
    const headers: Record<string, string> = {};
    if (this.options.adminToken) headers.authorization = `Bearer ${this.options.adminToken}`;
    try {
      const res = await fetch(`${this.base}/clock`, {
        headers,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
        ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
      } as RequestInit);
      await res.arrayBuffer();
      if (res.ok) return 'available';
      // Only authdouble's own 401 counts: a gateway that wants a login for every path is not a control API.
      const own = /authdouble admin/i.test(res.headers.get('www-authenticate') ?? '') || /problem\+json/i.test(res.headers.get('content-type') ?? '');
      if (res.status === 401 && own) {
        return this.options.adminToken ? 'token-refused' : 'needs-token';
      }
      return 'absent';
    } catch {
      return 'absent';
    }
  }

  /** The control API's URL, for messages. */
  get url(): string {
    return this.base;
  }

  /** Back to the fixtures: every API (and the journal, faults and clock), or one API. */
  async reset(api?: string): Promise<void> {
    await this.call('POST', `/reset${query({ api })}`);
  }

  readonly clock = {
    get: async (): Promise<ClockState> => clockState(await this.call('GET', '/clock')),
    /** Moves time forward by milliseconds or an ISO 8601 duration (`PT15M`). */
    advance: async (by: number | string): Promise<ClockState> =>
      clockState(await this.call('POST', '/clock', { advance: typeof by === 'number' ? `PT${by / 1000}S` : by })),
    /** Pins the clock at an instant. */
    set: async (at: Date | string): Promise<ClockState> =>
      clockState(await this.call('POST', '/clock', { set: typeof at === 'string' ? at : at.toISOString() })),
    /** Back to real time. */
    reset: async (): Promise<ClockState> => clockState(await this.call('DELETE', '/clock')),
  };

  /** Messages the mock sent, oldest first. */
  async outbox(filter: { api?: string; to?: string } = {}): Promise<OutboxMessage[]> {
    return ((await this.call('GET', `/outbox${query(filter)}`)) as { messages: OutboxMessage[] }).messages;
  }

  /** The one-time code of the newest message to `to`, if any. */
  async latestCode(api: string, to: string): Promise<string | undefined> {
    return (await this.outbox({ api, to })).reverse().find((m) => m.code !== undefined)?.code;
  }

  async requests(filter: RequestFilter = {}): Promise<JournalEntry[]> {
    const since = filter.since instanceof Date ? filter.since.toISOString() : filter.since;
    const q = query({ api: filter.api, path: filter.path, status: filter.status?.toString(), since });
    return ((await this.call('GET', `/requests${q}`)) as { requests: JournalEntry[] }).requests;
  }

  async clearRequests(): Promise<void> {
    await this.call('DELETE', '/requests');
  }

  readonly faults = {
    add: async (fault: FaultSpec): Promise<Fault[]> => ((await this.call('POST', '/faults', fault)) as { faults: Fault[] }).faults,
    list: async (): Promise<Fault[]> => ((await this.call('GET', '/faults')) as { faults: Fault[] }).faults,
    clear: async (): Promise<void> => {
      await this.call('DELETE', '/faults');
    },
  };

  /** The public keys the mock signs with, as a JWKS. */
  async keys(): Promise<{ keys: Array<Record<string, unknown>> }> {
    return (await this.call('GET', '/keys')) as { keys: Array<Record<string, unknown>> };
  }

  async tokens(api?: string): Promise<TokenInfo[]> {
    return ((await this.call('GET', `/tokens${query({ api })}`)) as { tokens: TokenInfo[] }).tokens;
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.session) headers[SESSION_HEADER] = this.options.session;
    if (this.options.adminToken) headers.authorization = `Bearer ${this.options.adminToken}`;
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
    } as RequestInit);
    const text = await res.text();
    const parsed: unknown = text ? safeJson(text) : undefined;
    if (!res.ok) {
      const detail = (parsed as { detail?: string } | undefined)?.detail ?? text;
      throw new ControlError(res.status, `${method} /__admin${path}: ${res.status} ${detail}`);
    }
    return parsed;
  }
}

function clockState(raw: unknown): ClockState {
  const { now, virtual } = raw as { now: string; virtual: boolean };
  return { now: new Date(now), virtual };
}

function query(params: Record<string, string | undefined>): string {
  const entries = Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined);
  return entries.length === 0 ? '' : `?${new URLSearchParams(entries).toString()}`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
