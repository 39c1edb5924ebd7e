/**
 * The one error type of authdouble. Every failure that can reach a client is a MockError with a
 * stable string `code`; each API's error formatter turns it into that API's own documented body.
 */
export interface Diagnostic {
  /** Where the problem is: a JSON pointer into the body, or `header:x`, `query:x`, `path:x`. */
  path: string;
  message: string;
}

export interface MockErrorOptions {
  /** Whether `message` may be shown to the client (false for internal failures). */
  expose?: boolean;
  details?: Diagnostic[];
  headers?: Record<string, string>;
}

export class MockError extends Error {
  readonly code: string;
  readonly status: number;
  readonly expose: boolean;
  readonly details: Diagnostic[];
  readonly headers: Record<string, string>;

  constructor(code: string, status: number, message: string, options: MockErrorOptions = {}) {
    super(message);
    this.name = 'MockError';
    this.code = code;
    this.status = status;
    this.expose = options.expose ?? status < 500;
    this.details = options.details ?? [];
    this.headers = options.headers ?? {};
  }
}

/** Codes the engine itself raises, before any behaviour runs. APIs map them to their own bodies. */
export const EngineCodes = {
  invalidJson: 'invalid_json',
  unsupportedMediaType: 'unsupported_media_type',
  payloadTooLarge: 'payload_too_large',
  validationFailed: 'validation_failed',
  missingCredentials: 'missing_credentials',
  invalidCredentialsHeader: 'invalid_authorization_header',
} as const;

/** A problem that stops start-up (bad spec, bad fixture, bad option). Printed as is, no stack. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}
