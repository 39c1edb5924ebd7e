import path from 'node:path';
import { safeEqual } from '../apis/shared/secrets';
import { compileSpec, type CompiledSpec } from '../engine/compile';
import { precompiledSpec } from '../engine/precompiled';
import { Router } from '../engine/router';
import { ApiEngine, problem } from '../engine/pipeline';
import type { ApiRuntime, MockRequest, MockResponse } from '../engine/types';
import { readYamlFile } from '../engine/yaml-file';
import { MockError } from '../errors';
import type { Logger } from '../logger';
import { defaultSpecDir } from '../paths';
import { createAdminBehaviours, type AdminDeps } from './behaviours';
import { createConsoleBehaviours, type ConsoleDeps } from './console-behaviours';

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
  const spec = compileSpec(readYamlFile(file, 'the control API spec').data, file, 'spec:admin', {
    responses: deps.strict,
    trusted: true,
    precompiled: precompiledSpec('admin', file),
  });
  const behaviours = { ...createAdminBehaviours(deps), ...createConsoleBehaviours(deps, deps.console) };
  const runtime: ApiRuntime = {
    behaviours,
    // The token is checked before validation and before any session is looked up or created.
    authorize: deps.adminToken ? adminTokenCheck(deps.adminToken, spec) : undefined,
    formatError: (error: MockError): MockResponse => ({
      ...problem(error.status, TITLES[error.status] ?? 'Error', error.message),
      headers: error.status === 401 ? { ...error.headers, 'www-authenticate': 'Bearer realm="authdouble admin"' } : error.headers,
    }),
  };
  return new ApiEngine('admin', spec, runtime, deps.state, { strict: deps.strict, faults: false }, deps.logger);
}

function adminTokenCheck(token: string, spec: CompiledSpec): (req: MockRequest) => MockError | undefined {
  const expected = `Bearer ${token}`;
  // Operations whose spec says `security: []` (the console's files, the specs, the docs) need no token.
  const open = new Router(spec.operations.filter((op) => op.security.length === 0));
  return (req) =>
    safeEqual(req.headers.authorization ?? '', expected) || open.match(req.method, req.path).kind === 'operation'
      ? undefined
      : new MockError('unauthorized', 401, 'The control API needs Authorization: Bearer <admin token>');
}
