import { randomBytes } from 'node:crypto';
import type { MockResponse } from '../../engine/types';
import { EngineCodes, MockError, type Diagnostic } from '../../errors';
import type { TokenCheck } from '../shared/token-book';

/**
 * Vault's `status`: the name of the HTTP status (Spring's HttpStatus). The statuses the spec
 * documents, and 503 for the mock's own outage (its state store away; not held to the spec).
 */
const STATUS_NAMES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  503: 'SERVICE_UNAVAILABLE',
};

export const GRANT_TYPES = ['password', 'refresh_token'] as const;

/** Every Vault error has one body: `{status, message, traceId, errors}` (see `VaultError` in the spec). */
export function formatError(raw: MockError): MockResponse {
  const error = raw.code === EngineCodes.validationFailed ? refineGrantType(raw) : raw;
  return {
    status: error.status,
    headers: error.headers,
    body: {
      status: STATUS_NAMES[error.status] ?? 'INTERNAL_SERVER_ERROR',
      message: error.message,
      traceId: randomBytes(16).toString('hex'),
      errors: error.details.map((d) => ({ field: d.path, message: d.message })),
    },
  };
}

/**
 * The body's `grant_type` is a discriminator, so Ajv reports a bad one at the body's root ('value of
 * tag "grant_type" must be in oneOf', or 'tag "grant_type" must be string'). An unknown grant type
 * becomes Vault's `unsupported_grant_type`; a missing or non-string one a plain field error.
 */
function refineGrantType(error: MockError): MockError {
  const tag = error.details.find((d) => d.path === '' && d.message.includes('tag "grant_type"'));
  if (!tag) return error;
  const field = '/grant_type';
  if (tag.message.includes('must be in oneOf')) {
    return new MockError('unsupported_grant_type', 400, `Unsupported grant_type; use ${GRANT_TYPES.map((g) => `"${g}"`).join(' or ')}`, {
      details: [{ path: field, message: `must be one of ${GRANT_TYPES.map((g) => `"${g}"`).join(', ')}` }],
    });
  }
  const details = error.details.filter((d) => d !== tag);
  if (!details.some((d) => d.path === field)) details.push({ path: field, message: 'must be string' });
  return new MockError(error.code, error.status, invalidRequestMessage(details), { details });
}

/** The engine's wording for a validation failure, so a refined one reads the same. */
function invalidRequestMessage(details: Diagnostic[]): string {
  return `Invalid request: ${details
    .slice(0, 3)
    .map((d) => `${d.path || 'body'} ${d.message}`)
    .join('; ')}`;
}

export const missingClientId = () =>
  new MockError(EngineCodes.validationFailed, 400, 'Invalid request: /client_id is required (in the body or the appClientId header)', {
    details: [{ path: '/client_id', message: 'is required' }],
  });
export const unknownClient = () => new MockError('unknown_client', 401, 'Unknown client_id');
export const invalidCredentials = () => new MockError('invalid_credentials', 401, 'Invalid username or password');

type Failed = Extract<TokenCheck<unknown>, { ok: false }>['reason'];

export function refreshTokenError(reason: Failed): MockError {
  return reason === 'expired'
    ? new MockError('refresh_token_expired', 401, 'Refresh token has expired')
    : new MockError('invalid_refresh_token', 401, 'Invalid refresh token');
}

export function accessTokenError(reason: Failed): MockError {
  return reason === 'expired'
    ? new MockError('access_token_expired', 401, 'Access token has expired')
    : new MockError('invalid_access_token', 401, 'Invalid access token');
}
