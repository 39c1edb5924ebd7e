import path from 'node:path';
import { safeEqual } from '../apis/shared/secrets';
import { compileSpec } from '../engine/compile';
import { ApiEngine, problem } from '../engine/pipeline';
import type { ApiRuntime, Behaviour, MockResponse } from '../engine/types';
import { readYamlFile } from '../engine/yaml-file';
import { MockError } from '../errors';
import type { Logger } from '../logger';
import { defaultSpecDir } from '../paths';
import { createAdminBehaviours, type AdminDeps } from './behaviours';
import { createConsoleBehaviours, PUBLIC_OPERATIONS, type ConsoleDeps } from './console-behaviours';

/** Where the control API is mounted. */
export const ADMIN_PREFIX = '/__admin';

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  404: 'Not found',
  413: 'Payload too large',
  406: 'Not acceptable',
  415: 'Unsupported media type',
};

/**
 * The control API as an engine of its own, served like any API from openapi/admin.yaml (so its
 * requests are validated the same way), with problem+json errors. With `adminToken`, every call
 * needs `Authorization: Bearer <adminToken>`.
 */
export function createAdminEngine(
  deps: AdminDeps & { adminToken?: string; strict: boolean; logger: Logger; console: ConsoleDeps },
): ApiEngine {
  const file = path.join(defaultSpecDir, 'admin.yaml');
  const spec = compileSpec(readYamlFile(file, 'the control API spec').data, file, 'spec:admin', { responses: deps.strict, trusted: true });
  const behaviours = { ...createAdminBehaviours(deps), ...createConsoleBehaviours(deps, deps.console) };
  const runtime: ApiRuntime = {
    behaviours: deps.adminToken ? guard(behaviours, deps.adminToken) : behaviours,
    formatError: (error: MockError): MockResponse => ({
      ...problem(error.status, TITLES[error.status] ?? 'Error', error.message),
      headers: error.status === 401 ? { ...error.headers, 'www-authenticate': 'Bearer realm="authdouble admin"' } : error.headers,
    }),
  };
  return new ApiEngine('admin', spec, runtime, deps.sessions, { strict: deps.strict, faults: false }, deps.logger);
}

function guard(behaviours: Record<string, Behaviour>, token: string): Record<string, Behaviour> {
  const expected = `Bearer ${token}`;
  return Object.fromEntries(
    Object.entries(behaviours).map(([id, behaviour]): [string, Behaviour] => [
      id,
      PUBLIC_OPERATIONS.has(id) ? behaviour : (req, ctx) => {
        if (!safeEqual(req.headers.authorization ?? '', expected)) {
          throw new MockError('unauthorized', 401, 'The control API needs Authorization: Bearer <admin token>');
        }
        return behaviour(req, ctx);
      },
    ]),
  );
}
