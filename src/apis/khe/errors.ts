import { EngineCodes, MockError, type Diagnostic } from '../../errors';
import type { MockResponse } from '../../engine/types';

/** The real server's messages (its wiki and its source), word for word. */
export const Messages = {
  loggedOut: 'You must be logged in to access this area',
  badCredentials: 'Email or password incorrect',
  badClient: 'Invalid client ID',
  badRefresh: 'Invalid refresh token',
  emailInUse: 'That email is already in use',
  emailTaken: 'That email is already taken',
} as const;

export function badRequest(message: string): MockError {
  return new MockError('bad_request', 400, message);
}

export function conflict(message: string): MockError {
  return new MockError('conflict', 409, message);
}

/** Field errors found by the behaviour (the real server's validation), carried as diagnostics. */
export function invalidFields(errors: Array<{ path: string }>): MockError {
  return new MockError(EngineCodes.validationFailed, 400, 'Invalid request', {
    details: errors.map((e) => ({ path: `/${e.path}`, message: 'is invalid' })),
  });
}

export function loggedOut(): MockError {
  return new MockError('unauthorized', 401, Messages.loggedOut);
}

/**
 * Every KHE error is `{errors: [...]}` with the status of the error. Messages the real server writes
 * as strings stay strings; an invalid field is validate 3.0.x's `Error`, which JSON serialises as
 * `{"path": "<field>"}` only (hacksu/kenthackenough `app/helpers/error.js` `multiError`, lines 41-47;
 * eivindfjeldstad/validate 3.0.1 `lib/property.js` `error`). Nested fields are joined with dots, as
 * validate names them.
 */
export function formatError(error: MockError): MockResponse {
  return { status: error.status, headers: error.headers, body: { errors: errorsOf(error) } };
}

type KheErrorItem = string | { path: string };

function errorsOf(error: MockError): KheErrorItem[] {
  switch (error.code) {
    case EngineCodes.missingCredentials:
    case EngineCodes.invalidCredentialsHeader:
      return [Messages.loggedOut];
    case EngineCodes.validationFailed: {
      const fields = error.details.filter((d) => d.path.startsWith('/')).map(fieldPath);
      if (fields.length === 0) return error.details.length > 0 ? error.details.map(describe) : [error.message];
      return [...new Set(fields)].map((path) => ({ path }));
    }
    default:
      return [error.expose ? error.message : 'An internal error has occurred.'];
  }
}

/** `/a/b` → `a.b`: validate's name for a field. */
function fieldPath(d: Diagnostic): string {
  return d.path.slice(1).split('/').join('.');
}

/** A problem with the body as a whole (not an object, missing): a string, as the mock's own words. */
function describe(d: Diagnostic): string {
  return `Malformed request (${d.path || 'body'}): ${d.message}`;
}
