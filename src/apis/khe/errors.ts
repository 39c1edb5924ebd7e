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
  email: 'A valid email address is required',
  password: 'Your password must be between 2 and 32 characters long.',
  client: 'You must be using a valid client',
} as const;

/** What each invalid field is called out with: the real server's words where it has them. */
const FIELD_MESSAGES: Record<string, string> = {
  '/email': Messages.email,
  '/password': Messages.password,
  '/client': Messages.client,
  // authdouble choice: the real server has no message here (it crashes on a missing key).
  '/key': 'A valid key is required',
  '/refresh': 'A valid refresh token is required',
};

export function badRequest(message: string): MockError {
  return new MockError('bad_request', 400, message);
}

export function conflict(message: string): MockError {
  return new MockError('conflict', 409, message);
}

export function loggedOut(): MockError {
  return new MockError('unauthorized', 401, Messages.loggedOut);
}

/** Every KHE error is `{errors: [message, ...]}` with the status of the error. */
export function formatError(error: MockError): MockResponse {
  return { status: error.status, headers: error.headers, body: { errors: messagesOf(error) } };
}

function messagesOf(error: MockError): string[] {
  switch (error.code) {
    case EngineCodes.missingCredentials:
    case EngineCodes.invalidCredentialsHeader:
      return [Messages.loggedOut];
    case EngineCodes.validationFailed:
      return error.details.length > 0 ? [...new Set(error.details.map(fieldMessage))] : [error.message];
    default:
      return [error.expose ? error.message : 'An internal error has occurred.'];
  }
}

function fieldMessage(d: Diagnostic): string {
  return FIELD_MESSAGES[d.path] ?? `Malformed request (${d.path ? d.path.slice(1) : 'body'}): ${d.message}`;
}
