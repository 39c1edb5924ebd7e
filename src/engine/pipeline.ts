import { EngineCodes, MockError, type Diagnostic } from '../errors';
import type { Logger } from '../logger';
import { FAULT_HEADER, parseFaultHeader, type FaultAction } from '../state/faults';
import { storePrefix, StoreUnavailable, type SessionState, type StateBackend } from '../state/backend';
import { SESSION_HEADER } from '../headers';
import { toDiagnostics } from './ajv';
import type { CompiledOperation, CompiledSpec, ResponseSpec } from './compile';
import { Router, type RouteMatch } from './router';

export type { RouteMatch } from './router';
import { readCredentials } from './credentials';
import { mediaTypeOf, parseBody, parseCookies } from './body';
import type { ApiRuntime, MockRequest, MockResponse, OperationRequest, RequestContext } from './types';

export const SOURCE_HEADER = 'x-authdouble-source';
/** The longest X-Authdouble-Session accepted (the control API documents the same bound). */
export const MAX_SESSION_NAME = 200;

export interface EngineOptions {
  /** Validate every response against the spec; a non-conforming one becomes a 500 problem. */
  strict: boolean;
  /** Apply faults (session faults and the fault header); off for the control API. Default on. */
  faults?: boolean;
}

/**
 * One API's request pipeline, free of any HTTP framework: route → credentials → body → validation
 * → behaviour (or spec example) → response check. Every outcome is a MockResponse; nothing throws.
 */
export class ApiEngine {
  private readonly router: Router;

  constructor(
    readonly id: string,
    readonly spec: CompiledSpec,
    readonly runtime: ApiRuntime,
    private readonly state: StateBackend,
    private readonly options: EngineOptions,
    private readonly logger: Logger,
  ) {
    this.router = new Router(spec.operations);
  }

  /**
   * Takes over a freshly loaded engine of the same API (its spec, behaviours and routes), in place,
   * so that every handler and WebSocket endpoint holding this engine serves the new version
   * (`--watch`).
   */
  adopt(fresh: ApiEngine): void {
    if (fresh.id !== this.id) throw new Error(`cannot replace the ${this.id} engine with ${fresh.id}'s`);
    Object.assign(this, fresh);
  }

  match(method: string, path: string): RouteMatch {
    return this.router.match(method, path);
  }

  /** The methods `path` accepts (what a CORS preflight is told). */
  methodsFor(path: string): string[] {
    return this.router.methodsFor(path);
  }

  /** Every response header the spec documents. */
  responseHeaders(): string[] {
    return this.spec.operations.flatMap((op) => [...op.responses.values()].flatMap((r) => r.headers));
  }

  async handle(req: MockRequest, route: RouteMatch = this.match(req.method, req.path)): Promise<MockResponse> {
    const refused = this.refuse(req);
    if (refused) return refused;
    if (route.kind === 'no-route') {
      return problem(404, 'No such operation', `${this.id} has no operation at ${req.method} ${req.path}`);
    }
    if (route.kind === 'method-not-allowed') {
      return {
        ...problem(405, 'Method not allowed', `${req.path} accepts ${route.allow.join(', ')}`),
        headers: { allow: route.allow.join(', ') },
      };
    }
    const { op, pathParams } = route;
    const behaviour = this.runtime.behaviours[op.operationId];
    const header = this.options.faults === false ? undefined : req.headers[FAULT_HEADER];
    // The session's faults are looked up in the behaviour's own step (one step per request), unless
    // the request names its fault itself or the operation is served from its example.
    const sessionFaults = this.options.faults !== false && typeof header !== 'string';
    let response: MockResponse;
    try {
      const fault =
        typeof header === 'string'
          ? parseFaultHeader(header)
          : sessionFaults && !behaviour
            ? await this.state.run(req.session, (state) => this.takeFault(state, op))
            : undefined;
      if (fault) {
        const answer = await this.applyFault(fault);
        if (answer) return answer;
      }
      const opReq = () => this.prepare(op, pathParams, req);
      if (behaviour) {
        // The fault found by the step that counted (a step may run more than once: see StateBackend.run).
        let found: FaultAction | undefined;
        const answered = await this.run<MockResponse | undefined>(req.session, (ctx) => {
          found = sessionFaults ? this.takeFault(ctx.state, op) : undefined;
          return found ? undefined : behaviour(opReq(), ctx);
        });
        const taken = found as FaultAction | undefined;
        if (taken) {
          const answer = await this.applyFault(taken);
          if (answer) return answer;
          // A fault that only delays: the request then goes on, as one more step.
          response = await this.run(req.session, (ctx) => behaviour(opReq(), ctx));
        } else response = answered!;
      } else {
        opReq();
        response = { ...op.example!, headers: { [SOURCE_HEADER]: 'example' } };
      }
    } catch (err) {
      response = this.errorResponse(err);
      if (err instanceof StoreUnavailable) return response;
    }
    return this.finish(op, response, req);
  }

  /**
   * The answer to a request refused before anything is looked at or created for it: a failed
   * `authorize` (the admin token), then a session name over the bound. Undefined when it may go on.
   */
  refuse(req: MockRequest): MockResponse | undefined {
    const unauthorized = this.runtime.authorize?.(req);
    if (unauthorized) return this.runtime.formatError(unauthorized);
    if (req.session !== undefined && req.session.length > MAX_SESSION_NAME) {
      return problem(400, 'Bad session name', `${SESSION_HEADER} must be at most ${MAX_SESSION_NAME} characters`);
    }
    return undefined;
  }

  /** The API's own response for an error raised outside `handle` (an oversized body, say). */
  fail(req: MockRequest, error: MockError): MockResponse {
    const refused = this.refuse(req);
    if (refused) return refused;
    const route = this.match(req.method, req.path);
    const response = this.errorResponse(error);
    return route.kind === 'operation' ? this.finish(route.op, response, req) : response;
  }

  /**
   * This API's view of one session's state: what a behaviour gets as its context. The memory
   * store's sessions live on (and their parts are fixed), so each gets one, made on first use.
   */
  contextOf(state: SessionState): RequestContext {
    if (this.state.kind !== 'memory') return this.makeContext(state);
    let ctx = this.contexts.get(state);
    if (ctx === undefined) this.contexts.set(state, (ctx = this.makeContext(state)));
    return ctx;
  }

  private readonly contexts = new WeakMap<SessionState, RequestContext>();

  private makeContext(state: SessionState): RequestContext {
    return {
      api: this.id,
      session: state.name,
      store: state.store.scope(storePrefix(this.id)),
      clock: state.clock,
      outbox: { send: (message) => state.outbox.send(this.id, message) },
      state,
    };
  }

  /** Runs `fn` with this API's context on session `name`, as one atomic step (see StateBackend.run). */
  run<R>(name: string | undefined, fn: (ctx: RequestContext) => R | Promise<R>): Promise<R> {
    return this.state.run(name, (state) => fn(this.contextOf(state)));
  }

  /** The first session fault matching `op`, counted as used. */
  private takeFault(state: SessionState, op: CompiledOperation): FaultAction | undefined {
    return state.faults.count === 0 ? undefined : state.faults.take(this.id, op.operationId);
  }

  /** What an injected fault answers (after its delay); undefined when it only delays the request. */
  private async applyFault(fault: FaultAction | { error: string }): Promise<MockResponse | undefined> {
    if ('error' in fault) return problem(400, 'Bad fault header', fault.error);
    if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault.drop) return { status: 0, drop: true };
    if (fault.status !== undefined) {
      const injected = this.runtime.formatError(new MockError('fault_injected', fault.status, `Injected fault: ${fault.status}`));
      return { ...injected, headers: { ...injected.headers, [SOURCE_HEADER]: 'fault' } };
    }
    return undefined;
  }

  /** Records a finished exchange in the journal of the request's session. */
  record(req: MockRequest, route: RouteMatch, response: MockResponse, payload: string | undefined, startedAt: number): void {
    // Journaling creates no session: a refused request (a session name over the bound) leaves nothing.
    const name = req.session ?? 'default';
    if (name.length > MAX_SESSION_NAME) return;
    this.state.journal.recordExchange({
      startedAt,
      session: name,
      api: this.id,
      operationId: route.kind === 'operation' ? route.op.operationId : undefined,
      method: req.method,
      path: req.path,
      query: req.query,
      status: response.drop ? 0 : response.status,
      durationMs: Math.round((Date.now() - startedAt) * 10) / 10,
      requestBody: req.body,
      responseBody: payload,
      requestHeaders: req.headers,
      responseHeaders: response.headers,
      contentType: response.body !== undefined ? response.contentType : undefined,
    });
  }

  private prepare(op: CompiledOperation, pathParams: Record<string, string>, req: MockRequest): OperationRequest {
    const cookies = parseCookies(req.headers.cookie);
    const credentials = readCredentials(op.security, req, cookies);

    const params = { path: pathParams, query: { ...req.query }, header: pickHeaders(req, op.headerParams), cookie: cookies };
    if (op.validateParams && !op.validateParams(params)) {
      throw validationError(toDiagnostics(op.validateParams.errors).map(paramDiagnostic));
    }

    let body: unknown;
    let mediaType = '';
    if (op.requestBody) {
      const hasBody = req.body !== undefined && req.body.length > 0;
      if (!hasBody) {
        if (op.requestBody.required) throw validationError([{ path: '', message: 'a request body is required' }]);
      } else {
        mediaType = mediaTypeOf(req.headers['content-type']);
        const accepted = [...op.requestBody.media.keys()];
        let parsed: { value: unknown } | undefined;
        if (!op.requestBody.media.has(mediaType) && op.requestBody.jsonWhenLabelled.has(mediaType)) {
          // The spec says this label may carry the JSON body (x-authdouble-json-when-labelled).
          parsed = jsonIfItParses(req.body!);
          if (parsed) mediaType = 'application/json';
        }
        const validate = op.requestBody.media.get(mediaType);
        if (!op.requestBody.media.has(mediaType)) {
          throw new MockError(EngineCodes.unsupportedMediaType, 415, unsupportedMessage(mediaType, accepted, req.body!));
        }
        body = parsed ? parsed.value : parseBody(req.body!, mediaType);
        if (validate && !validate(body)) throw validationError(toDiagnostics(validate.errors));
      }
    }

    return {
      operationId: op.operationId,
      method: req.method,
      path: req.path,
      pathParams: params.path,
      query: params.query,
      headers: req.headers,
      cookies,
      body,
      mediaType,
      credentials,
      ip: req.ip,
    };
  }

  private errorResponse(err: unknown): MockResponse {
    // The API's own error body, not held to the spec (which documents no 503): as an injected fault.
    if (err instanceof StoreUnavailable) return { ...this.runtime.formatError(err), headers: { ...err.headers, [SOURCE_HEADER]: 'store' } };
    if (err instanceof MockError) return this.runtime.formatError(err);
    this.logger.error(`${this.id}: behaviour failed: ${(err as Error)?.stack ?? String(err)}`);
    return problem(500, 'Internal error in the mock', 'The mock failed to handle this request; its log has the details.');
  }

  /** Fills in the content type and, in strict mode, holds the response to the spec. */
  private finish(op: CompiledOperation, response: MockResponse, req: MockRequest): MockResponse {
    const documented = documentedResponse(op, response.status);
    if (response.body !== undefined && response.contentType === undefined) {
      const first = documented?.media.keys().next().value;
      response.contentType = first ?? (typeof response.body === 'string' ? 'text/plain' : 'application/json');
    }
    if (!this.options.strict) return response;
    const problems = checkResponse(op, response);
    if (problems.length === 0) return response;
    const detail = problems.map((p) => `${p.path || '(body)'} ${p.message}`).join('; ');
    this.logger.error(`${this.id}: response to ${req.method} ${req.path} breaks the spec: ${detail}`);
    return {
      ...problem(500, 'Response does not match the spec', `${op.operationId} answered ${response.status}: ${detail}`),
      headers: { [SOURCE_HEADER]: 'strict-violation' },
    };
  }
}

/** Why `response` would not match the spec for `op` (empty when it does). */
export function checkResponse(op: CompiledOperation, response: MockResponse): Diagnostic[] {
  const documented = documentedResponse(op, response.status);
  if (!documented) return [{ path: 'status', message: `${response.status} is not documented for ${op.operationId}` }];
  if (response.body === undefined) {
    return documented.media.size === 0 || response.status === 204 || response.status === 304
      ? []
      : [{ path: 'body', message: `is empty; the spec documents ${[...documented.media.keys()].join(', ')}` }];
  }
  const mediaType = mediaTypeOf(response.contentType);
  if (!documented.media.has(mediaType)) {
    return [{ path: 'content-type', message: `${mediaType} is not documented for ${response.status}` }];
  }
  const validate = documented.media.get(mediaType);
  if (validate && !validate(response.body)) return toDiagnostics(validate.errors, 'body');
  return [];
}

export function documentedResponse(op: CompiledOperation, status: number): ResponseSpec | undefined {
  return op.responses.get(String(status)) ?? op.responses.get(`${String(status)[0]}XX`) ?? op.responses.get('DEFAULT');
}

/** An application/problem+json response: the mock's own failures (no route, broken response). */
export function problem(status: number, title: string, detail: string): MockResponse {
  return { status, contentType: 'application/problem+json', body: { type: 'about:blank', title, status, detail } };
}

/** The body as JSON, or undefined when it does not parse as JSON. */
function jsonIfItParses(raw: Buffer): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(raw.toString('utf8')) as unknown };
  } catch {
    return undefined;
  }
}

function unsupportedMessage(mediaType: string, accepted: string[], body: Buffer): string {
  const send = `send ${accepted.join(' or ')}`;
  if (!mediaType) return `The request has a body but no Content-Type; ${send}`;
  const looksJson = body[0] === 0x7b || body[0] === 0x5b; // '{' or '['
  const hint =
    mediaType === 'application/x-www-form-urlencoded' && looksJson && accepted.includes('application/json')
      ? ` (curl --data sends that type unless told otherwise: add -H 'Content-Type: application/json')`
      : '';
  return `Content-Type ${mediaType} is not accepted here; ${send}${hint}`;
}

function validationError(details: Diagnostic[]): MockError {
  const summary = details
    .slice(0, 3)
    .map((d) => `${d.path || 'body'} ${d.message}`)
    .join('; ');
  return new MockError(EngineCodes.validationFailed, 400, `Invalid request: ${summary}`, { details });
}

function paramDiagnostic(d: Diagnostic): Diagnostic {
  // `/query/x` → `query:x`
  const m = /^\/(path|query|header|cookie)\/([^/]+)(.*)$/.exec(d.path);
  return m ? { path: `${m[1]}:${m[2]}${m[3]}`, message: d.message } : d;
}

function pickHeaders(req: MockRequest, names: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of names) if (req.headers[name] !== undefined) out[name] = req.headers[name];
  return out;
}
