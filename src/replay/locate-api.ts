/**
 * Which API a recorded URL belongs to, and the path inside it: from the recording's own note (the
 * base URL `authdouble record` wrote), or else by finding the spec operation the end of the path
 * matches (`http://127.0.0.1:4600/b2core/api/v2/signin` → b2core, `/api/v2/signin`).
 */
import type { SpecChecker } from '../engine/spec-checker';

export interface Located {
  api: string;
  /** Path inside the API, without the query. */
  path: string;
  /** Path and query inside the API. */
  pathAndQuery: string;
  operationId?: string;
}

export class ApiLocator {
  constructor(
    private readonly checkers: Map<string, SpecChecker>,
    private readonly recorded?: { api: string; baseUrl: string },
  ) {}

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
