import { isJsonMediaType, mediaTypeOf } from '../engine/body';
import { systemClock, type Clock } from '../state/clock';
import { CookieJar } from './cookie-jar';

/** The header that puts a request in an isolated state session of an authdouble server. */
import { SESSION_HEADER } from '../headers';

export { SESSION_HEADER };

export interface OutgoingRequest {
  method: string;
  /** Inside the API: `/api/v2/signin` (a query string may follow). */
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Send the jar's cookies (unless `headers` has its own `cookie`). */
  useJar: boolean;
}

/** One request and its answer, as the checks and the failure messages need them. */
export interface HttpExchange {
  method: string;
  path: string;
  requestBody?: string;
  status: number;
  /** Lower-case names; repeated headers joined with `, ` (Set-Cookie: with a newline). */
  headers: Record<string, string>;
  contentType?: string;
  text: string;
  /** The body parsed, when the content type is JSON and it parses. */
  json?: unknown;
}

/** The target did not answer a request at all (refused, reset, timed out). */
export class TargetUnreachable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetUnreachable';
  }
}

export interface CheckHttpOptions {
  /** The API's base URL, without a trailing slash. */
  base: string;
  timeoutMs: number;
  /** Sent as X-Authdouble-Session when the target is an authdouble server. */
  session?: string;
  /** Headers sent with every request (replay's session header on a target without a control API). */
  extraHeaders?: Record<string, string>;
  /** The client's time, for cookie expiry (real time by default: cookies live in the client). */
  clock?: Clock;
}

/** The HTTP side of one check: its cookie jar, its state session, its timeouts. */
export class CheckHttp {
  readonly jar = new CookieJar();

  constructor(private readonly options: CheckHttpOptions) {}

  async send(request: OutgoingRequest): Promise<HttpExchange> {
    const headers: Record<string, string> = { ...this.options.extraHeaders, ...request.headers };
    if (this.options.session) headers[SESSION_HEADER] = this.options.session;
    const jarCookie = this.jar.header();
    if (request.useJar && jarCookie && !Object.keys(headers).some((h) => h.toLowerCase() === 'cookie')) headers.cookie = jarCookie;
    let res: Response;
    try {
      res = await fetch(`${this.options.base}${request.path}`, {
        method: request.method,
        headers,
        body: request.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (err) {
      throw new TargetUnreachable(describeFetchError(err, `${request.method} ${this.options.base}${request.path}`, this.options.timeoutMs));
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw new TargetUnreachable(describeFetchError(err, `${request.method} ${this.options.base}${request.path}`, this.options.timeoutMs));
    }
    const setCookies = res.headers.getSetCookie();
    this.jar.take(setCookies, (this.options.clock ?? systemClock).now());
    const out: Record<string, string> = {};
    res.headers.forEach((value, key) => (out[key] = value));
    if (setCookies.length > 0) out['set-cookie'] = setCookies.join('\n');
    const contentType = res.headers.get('content-type') ?? undefined;
    let json: unknown;
    if (text !== '' && isJsonMediaType(mediaTypeOf(contentType))) {
      try {
        json = JSON.parse(text) as unknown;
      } catch {
        json = undefined;
      }
    }
    return { method: request.method, path: request.path, requestBody: request.body, status: res.status, headers: out, contentType, text, json };
  }
}

/** A plain sentence for a failed fetch: refused, timed out, not found, reset. */
export function describeFetchError(err: unknown, what: string, timeoutMs: number): string {
  const error = err as Error & { cause?: { code?: string; message?: string } };
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return `${what}: no answer within ${timeoutMs} ms`;
  const code = error.cause?.code;
  const detail = code ?? error.cause?.message ?? error.message;
  return `${what}: ${detail}`;
}
