import type { CompiledOperation } from './compile';

export type RouteMatch =
  | { kind: 'operation'; op: CompiledOperation; pathParams: Record<string, string> }
  | { kind: 'method-not-allowed'; allow: string[] }
  | { kind: 'no-route' };

/** Finds the operation for a method and a path inside an API. */
export class Router {
  private readonly byMethod = new Map<string, CompiledOperation[]>();

  constructor(private readonly operations: CompiledOperation[]) {
    // Literal paths before templated ones, so `/users/token` wins over `/users/{id}`.
    const ordered = [...operations].sort((a, b) => a.paramNames.length - b.paramNames.length);
    for (const op of ordered) {
      const list = this.byMethod.get(op.method) ?? [];
      list.push(op);
      this.byMethod.set(op.method, list);
    }
  }

  match(method: string, path: string): RouteMatch {
    const upper = method.toUpperCase();
    // HEAD is GET without a body (RFC 9110 §9.3.2); Node leaves the body out of a HEAD answer.
    const candidates = this.byMethod.get(upper) ?? (upper === 'HEAD' ? this.byMethod.get('GET') : undefined) ?? [];
    for (const op of candidates) {
      const m = op.regex.exec(path);
      if (m) return { kind: 'operation', op, pathParams: pathParamsOf(op, m) };
    }
    const allow = this.methodsFor(path);
    return allow.length > 0 ? { kind: 'method-not-allowed', allow } : { kind: 'no-route' };
  }

  /** The methods `path` accepts (empty when no operation serves it). */
  methodsFor(path: string): string[] {
    return [...new Set(this.operations.filter((op) => op.regex.test(path)).map((op) => op.method))];
  }
}

function pathParamsOf(op: CompiledOperation, m: RegExpExecArray): Record<string, string> {
  const params: Record<string, string> = {};
  op.paramNames.forEach((name, i) => {
    const raw = m[i + 1] ?? '';
    try {
      params[name] = decodeURIComponent(raw);
    } catch {
      params[name] = raw;
    }
  });
  return params;
}
