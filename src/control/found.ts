import { StartupError } from '../errors';
import type { ControlClient } from './client';

/**
 * Whether the control API can be used. A 401 from it means a token is needed (or the one given is
 * wrong): that is a StartupError, not a target without a control API.
 */
export function controlFound(probe: Awaited<ReturnType<ControlClient['probe']>>, url: string): boolean {
  if (probe === 'needs-token') {
    throw new StartupError(`the control API needs --admin-token: ${url} answered 401 (pass --admin-token <token> or set AUTHDOUBLE_ADMIN_TOKEN)`);
  }
  if (probe === 'token-refused') throw new StartupError(`the control API refused the --admin-token given: ${url} answered 401`);
  return probe === 'available';
}
