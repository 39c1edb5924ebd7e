import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import type { Clock } from '../state/clock';
import type { Store } from '../state/store';
import type { NewMessage, OutboxMessage } from '../state/outbox';
import type { MockError } from '../errors';
import type { KeyRing } from '../apis/shared/keys';
import type { SessionState } from '../state/backend';
import type { LinkedRecords } from '../state/bounds';

/** A request as the engine sees it: no framework types, so the core can be measured on its own. */
export interface MockRequest {
  /** Upper case. */
  method: string;
  /** The path inside the API, without its mount prefix and query string, e.g. `/api/v2/signin`. */
  path: string;
  query: Record<string, string | string[] | undefined>;
  headers: IncomingHttpHeaders;
  /** The raw body; undefined when the request has none. */
  body?: Buffer;
  /** The client's address. */
  ip: string;
  /** The isolated state session the request belongs to (`default` when not given). */
  session?: string;
}

export interface MockResponse {
  status: number;
  headers?: Record<string, string | string[]>;
  /** A JSON value, a string for text media types, or undefined for an empty body. */
  body?: unknown;
  /** Defaults to the media type the spec documents for this status. */
  contentType?: string;
  /** Drop the connection without answering (an injected fault). */
  drop?: boolean;
}

export type Credential =
  | { type: 'bearer'; token: string }
  | { type: 'basic'; username: string; password: string }
  | { type: 'apiKey'; value: string };

/** What a behaviour receives: the request after parsing and validation against the spec. */
export interface OperationRequest<Body = unknown> {
  operationId: string;
  method: string;
  path: string;
  pathParams: Record<string, unknown>;
  query: Record<string, unknown>;
  headers: IncomingHttpHeaders;
  cookies: Record<string, string>;
  /** The parsed body: valid against the operation's schema for its media type. */
  body: Body;
  /** The request's media type, without parameters (`application/json`), or '' without a body. */
  mediaType: string;
  /** Credentials found for the operation's security schemes, by scheme name. */
  credentials: Record<string, Credential>;
  ip: string;
}

/** An outbox bound to one API. */
export interface ApiOutbox {
  send(message: NewMessage): OutboxMessage;
}

/** Everything a behaviour may touch: its API's slice of the session's state, and time. */
export interface RequestContext {
  api: string;
  session: string;
  store: Store;
  clock: Clock;
  outbox: ApiOutbox;
  /** The whole session (every API's state): for the control API, not for an API's behaviours. */
  state: SessionState;
}

/** Runs `fn` with an API's context on the state of one session, as one atomic step (StateBackend.run). */
export type StateRunner = <R>(fn: (ctx: RequestContext) => R | Promise<R>) => Promise<R>;

export type Behaviour = (req: OperationRequest, ctx: RequestContext) => MockResponse | Promise<MockResponse>;

/** What an API module builds at start-up from its validated fixture. */
export interface ApiRuntime {
  /** Behaviours by operationId; operations without one are served from their spec examples. */
  behaviours: Record<string, Behaviour>;
  /** Turns any MockError into this API's own documented error response. */
  formatError(error: MockError): MockResponse;
  /** Public keys the API signs tokens with, as JWKs. */
  publicJwks?(): Promise<Array<Record<string, unknown>>>;
  /** A WebSocket endpoint served on the HTTP port, under the API's mount prefix. */
  websocket?: WebSocketEndpoint;
  /**
   * Checked first, before anything else looks at the request or creates state for it (the control
   * API's admin token): a MockError refuses the request.
   */
  authorize?(req: MockRequest): MockError | undefined;
}

/**
 * A WebSocket endpoint of an API. The server accepts upgrades at `<prefix><path>` and hands each
 * connection over with the state of the session named by the upgrade's `x-authdouble-session`
 * header. The endpoint owns the socket from then on: it must answer every frame and never throw. Each
 * step that touches state goes through `run` (one atomic step each, as for an HTTP request).
 */
export interface WebSocketEndpoint {
  /** Path inside the API: `/` is the mount prefix itself. */
  path: string;
  /** Largest frame accepted, in bytes; a larger one closes the connection with 1009. Default 1 MiB. */
  maxPayload?: number;
  onConnection(socket: WebSocket, run: StateRunner, req: IncomingMessage): void;
}

export interface ApiSetup<Fixture> {
  fixture: Fixture;
  /** The file the fixture came from, for messages. */
  fixtureFile: string;
  /** The server's signing keys (kept across restarts); read when first used. */
  keys: KeyRing;
}

/** One API: a spec, a fixture schema, and the behaviours. Adding an API means adding one of these. */
export interface ApiModule<Fixture = unknown> {
  /** URL prefix and file stem: `openapi/<id>.yaml`, `fixtures/<id>.yaml`. */
  id: string;
  title: string;
  /** JSON Schema (2020-12) for `fixtures/<id>.yaml`; its defaults are filled in at load. */
  fixtureSchema: Record<string, unknown>;
  /** Checks a schema alone cannot make (duplicates, cross references): messages by JSON pointer. */
  checkFixture?(fixture: Fixture): Array<{ path: string; message: string }>;
  setup(setup: ApiSetup<Fixture>): ApiRuntime | Promise<ApiRuntime>;
  /**
   * Records the store bounds keep or drop together (a signed-up user and the index of its e-mail):
   * by kind (`user:`), the keys linked to a record of that kind (see src/state/bounds.ts).
   */
  linkedRecords?: LinkedRecords;
}
