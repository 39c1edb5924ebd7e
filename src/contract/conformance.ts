import path from 'node:path';
import { pointerSegment } from '../engine/ajv';
import type { SpecChecker } from '../engine/spec-checker';
import { packageRoot } from '../paths';
import type { HttpExchange } from './http-client';

/** Why a response breaks the spec: what was wrong, and where in the spec the rule is. */
export interface Nonconformance {
  operationId?: string;
  problems: string[];
  /** `openapi/b2core.yaml#/paths/~1api~1v2~1signin/post/responses/200`, as far as it is known. */
  schemaPath: string;
  /** The statuses the spec documents for the operation. */
  documented: string[];
}

/**
 * Holds one response to the spec (through SpecChecker): status documented for the operation,
 * content type, body against the schema. Undefined when it conforms.
 */
export function nonconformance(checker: SpecChecker, exchange: HttpExchange): Nonconformance | undefined {
  const pathOnly = exchange.path.split('?')[0] ?? exchange.path;
  const result = checker.check({ method: exchange.method, path: pathOnly, status: exchange.status, contentType: exchange.contentType, body: exchange.text });
  if (result.problems.length === 0) return undefined;
  const op = checker.operation(exchange.method, pathOnly);
  const file = specName(checker.spec.file);
  let schemaPath = `${file}#/paths`;
  let documented: string[] = [];
  if (op) {
    documented = [...op.responses.keys()];
    schemaPath += `/${pointerSegment(op.pathTemplate)}/${op.method.toLowerCase()}/responses`;
    const key = [String(exchange.status), `${String(exchange.status)[0]}XX`, 'DEFAULT'].find((k) => op.responses.has(k));
    if (key) {
      schemaPath += `/${key === 'DEFAULT' ? 'default' : key}`;
      const media = exchange.contentType?.split(';')[0]?.trim().toLowerCase();
      if (media && op.responses.get(key)?.media.has(media)) schemaPath += `/content/${pointerSegment(media)}/schema`;
    }
  }
  return {
    operationId: result.operationId,
    problems: result.problems.map((p) => `${p.path || 'body'} ${p.message}`),
    schemaPath,
    documented,
  };
}

/** `openapi/b2core.yaml` for the package's own specs; the full path for any other. */
function specName(file: string): string {
  const inside = path.relative(packageRoot, file);
  return inside.startsWith('..') || path.isAbsolute(inside) ? file : inside.split(path.sep).join('/');
}
