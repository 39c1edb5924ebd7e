import path from 'node:path';
import type { Diagnostic } from '../errors';
import { defaultSpecDir } from '../paths';
import { isJsonMediaType, mediaTypeOf } from './body';
import { compileSpec, type CompiledOperation, type CompiledSpec } from './compile';
import { checkResponse, documentedResponse } from './pipeline';
import { Router } from './router';
import { readYamlFile } from './yaml-file';

/** An HTTP exchange seen from outside: what a client sent and what came back. */
export interface Exchange {
  method: string;
  /** The path inside the API (without the base URL's path), e.g. `/api/v2/signin`. */
  path: string;
  status: number;
  /** The response's Content-Type header, if any. */
  contentType?: string;
  /** The response body as text ('' for none). */
  body: string;
}

export interface ExchangeCheck {
  operationId?: string;
  problems: Diagnostic[];
}

/**
 * Holds responses from any implementation (ours, a real one, Prism) to a spec: status documented
 * for the operation, content type, body against the schema. What `verify` and `replay` use.
 */
export class SpecChecker {
  private readonly router: Router;

  constructor(readonly spec: CompiledSpec) {
    this.router = new Router(spec.operations);
  }

  /** The checker for `openapi/<api>.yaml` (or the file in `specDir`). */
  static load(api: string, specDir = defaultSpecDir): SpecChecker {
    const file = path.join(specDir, `${api}.yaml`);
    return new SpecChecker(compileSpec(readYamlFile(file, 'the OpenAPI spec').data, file, `spec:${api}`));
  }

  operation(method: string, path: string): CompiledOperation | undefined {
    const route = this.router.match(method, path);
    return route.kind === 'operation' ? route.op : undefined;
  }

  check(exchange: Exchange): ExchangeCheck {
    const op = this.operation(exchange.method, exchange.path);
    if (!op) return { problems: [{ path: 'request', message: `${exchange.method} ${exchange.path} is not in the spec` }] };
    if (exchange.method.toUpperCase() === 'HEAD' && op.method !== 'HEAD') {
      // HEAD is served as GET without a body: only the status can be held to the GET operation.
      const documented = documentedResponse(op, exchange.status) !== undefined;
      return { operationId: op.operationId, problems: documented ? [] : [{ path: 'status', message: `${exchange.status} is not documented for ${op.operationId}` }] };
    }
    const mediaType = mediaTypeOf(exchange.contentType);
    let body: unknown = exchange.body === '' ? undefined : exchange.body;
    if (body !== undefined && isJsonMediaType(mediaType)) {
      try {
        body = JSON.parse(exchange.body) as unknown;
      } catch {
        return { operationId: op.operationId, problems: [{ path: 'body', message: `is not valid JSON although the type is ${mediaType}` }] };
      }
    }
    const problems = checkResponse(op, { status: exchange.status, body, contentType: exchange.contentType });
    return { operationId: op.operationId, problems };
  }
}
