/**
 * Which API a recorded URL belongs to, and the path inside it: from the recording's own note (the
 * base URL `authdouble record` wrote), or else by finding the spec operation the end of the path
 * matches (`http://127.0.0.1:4600/b2core/api/v2/signin` → b2core, `/api/v2/signin`).
 */
import type { SpecChecker } from '../engine/spec-checker';
import type { HarEntry } from './har';
import { parseJson } from './json-walk';
import { hasWebSocket, requestTypeOf } from './ws-spec';

export interface Located {
  api: string;
  /** Path inside the API, without the query. */
  path: string;
  /** Path and query inside the API. */
  pathAndQuery: string;
  operationId?: string;
  /** The entry opened a WebSocket (its frames are in `_webSocketMessages`). */
  websocket?: boolean;
}

export class ApiLocator {
  constructor(
    private readonly checkers: Map<string, SpecChecker>,
    private readonly recorded?: { api: string; baseUrl: string },
  ) {}

  /** Where an entry goes: an API call, a WebSocket of an API, or nowhere (undefined). */
  locateEntry(entry: HarEntry): Located | undefined {
    return isWebSocketEntry(entry) ? this.locateWebSocket(entry) : this.locate(entry.request.method.toUpperCase(), entry.request.url);
  }

  /**
   * A WebSocket entry belongs to the API of the recording's note when its URL is under the note's
   * base URL; else to the API that has a socket (sama) when the URL ends with `/sama` or one of its
   * sent frames is a sama request (`{request: {<type>: ...}}`); any other socket (a dev server's
   * hot reload, say) is not an API's.
   */
  private locateWebSocket(entry: HarEntry): Located | undefined {
    let url: URL;
    try {
      url = new URL(entry.request.url.replace(/^ws(s?):/i, 'http$1:'));
    } catch {
      return undefined;
    }
    const inside = (api: string, base: string): Located => {
      const path = url.pathname.slice(base.length).replace(/^\/*/, '/');
      return { api, path, pathAndQuery: `${path}${url.search}`, websocket: true };
    };
    const full = `${url.origin}${url.pathname}`.replace(/\/+$/, '');
    if (this.recorded && hasWebSocket(this.recorded.api)) {
      const base = this.recorded.baseUrl.replace(/\/+$/, '');
      if (full === base || full.startsWith(`${base}/`)) return inside(this.recorded.api, new URL(base).pathname.replace(/\/+$/, ''));
    }
    for (const api of this.checkers.keys()) {
      if (!hasWebSocket(api)) continue;
      if (url.pathname.replace(/\/+$/, '').endsWith(`/${api}`)) return inside(api, url.pathname.replace(/\/+$/, ''));
      const speaks = (entry._webSocketMessages ?? []).some((m) => {
        if (m.type !== 'send' || m.opcode !== 1) return false;
        const json = parseJson(m.data);
        return json.ok && requestTypeOf(json.value) !== undefined;
      });
      if (speaks) return inside(api, url.pathname.replace(/\/+$/, ''));
    }
    return undefined;
  }

  locate(method: string, rawUrl: string): Located | undefined {
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      return undefined;
    }
    const query = url.search;
    if (this.recorded) {
      const base = this.recorded.baseUrl.replace(/\/+$/, '');
      const full = `${url.origin}${url.pathname}`;
      if (full === base || full.startsWith(`${base}/`)) {
        const path = full.slice(base.length) || '/';
        const op = this.checkers.get(this.recorded.api)?.operation(method, path);
        return { api: this.recorded.api, path, pathAndQuery: `${path}${query}`, operationId: op?.operationId };
      }
    }
    if (url.pathname.startsWith('/__admin')) return undefined;
    const segments = url.pathname.split('/').slice(1);
    for (let skip = 0; skip < segments.length; skip++) {
      const path = `/${segments.slice(skip).join('/')}`;
      for (const [api, checker] of this.checkers) {
        const op = checker.operation(method, path);
        if (op) return { api, path, pathAndQuery: `${path}${query}`, operationId: op.operationId };
      }
    }
    return undefined;
  }
}

/** An upgrade request's entry: a `ws:`/`wss:` URL, Chromium's `websocket` type, or frames. */
export function isWebSocketEntry(entry: HarEntry): boolean {
  return /^wss?:/i.test(entry.request.url) || entry._resourceType === 'websocket' || entry._webSocketMessages !== undefined;
}
