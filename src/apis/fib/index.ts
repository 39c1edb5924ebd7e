import type { ApiModule, MockResponse } from '../../engine/types';
import type { MockError } from '../../errors';
import { createJwtSigner } from '../shared/jwt';
import { createBehaviours } from './behaviours';
import { checkFixture, fixtureSchema, type FibFixture } from './fixture';

/** FIB (Fraud Intelligence Blockchain): sign in with an Ed25519 signature of the e-mail, EdDSA JWTs. */
export const fib: ApiModule<FibFixture> = {
  id: 'fib',
  title: 'FIB authentication management',
  fixtureSchema,
  checkFixture,
  setup({ fixture, keys }) {
    const signer = createJwtSigner(keys, 'EdDSA', 'fib');
    return {
      behaviours: createBehaviours(fixture, signer),
      formatError,
      publicJwks: async () => [await signer.publicJwk()],
    };
  },
};

/** The names FIB puts in `status.name`: those of Spring's HttpStatus, as in the document's `OK`. */
const STATUS_NAMES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_ENTITY',
  500: 'INTERNAL_SERVER_ERROR',
};

/** Every FIB response, error or not, is the `{status:{code,name,message}, data}` envelope. */
export function formatError(error: MockError): MockResponse {
  const status = STATUS_NAMES[error.status] ? error.status : 500;
  return {
    status,
    headers: error.headers,
    body: {
      status: {
        code: status,
        name: STATUS_NAMES[status],
        message: error.expose && status === error.status ? error.message : 'Internal server error',
      },
      data: {
        error: status === error.status ? error.code : 'internal_error',
        ...(error.details.length > 0 ? { errors: error.details } : {}),
      },
    },
  };
}
