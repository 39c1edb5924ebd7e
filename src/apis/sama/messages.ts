import { MockError } from '../../errors';

/**
 * The real SAMA server's error messages and statuses (sama-server `ERROR_STATUES`), shared by the
 * HTTP side (as text/plain bodies) and the WebSocket side (as `error: {status, message}`).
 */
export const SamaErrors = {
  invalidDataFormat: { code: 'invalid_data_format', status: 400, message: 'Bad request - invalid data format' },
  incorrectLoginOrPassword: { code: 'incorrect_login_or_password', status: 401, message: 'Incorrect username or password.' },
  missingCredentials: { code: 'missing_credentials', status: 401, message: 'Missing authentication credentials.' },
  deviceIdMissed: { code: 'device_id_missed', status: 422, message: "'device_id' is required." },
  tokenExpired: { code: 'token_expired', status: 422, message: 'The token has expired.' },
  incorrectToken: { code: 'incorrect_token', status: 422, message: 'Incorrect token.' },
  unauthorized: { code: 'unauthorized', status: 401, message: 'Unauthorized.' },
  orgNotFound: { code: 'org_not_found', status: 404, message: 'Organization not found' },
  userAlreadyExists: { code: 'user_already_exists', status: 422, message: 'The provided data is already associated with an existing user account.' },
  incorrectLogin: { code: 'incorrect_login', status: 422, message: 'The login provided is incorrect.' },
  incorrectPassword: { code: 'incorrect_password', status: 422, message: 'The password entered is incorrect.' },
} as const;

export type SamaErrorKind = keyof typeof SamaErrors;

export function samaError(kind: SamaErrorKind): MockError {
  const { code, status, message } = SamaErrors[kind];
  return new MockError(code, status, message);
}
