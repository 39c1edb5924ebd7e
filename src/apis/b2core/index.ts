import type { ApiModule } from '../../engine/types';
import type { MockError } from '../../errors';
import { createJwtSigner } from '../shared/jwt';
import { createBehaviours } from './behaviours';
import { checkFixture, fixtureSchema, type B2CoreFixture } from './fixture';

/** B2Core Back Office API: e-mail/password sign-in, e-mail 2FA, rate limits, RS256 JWTs. */
export const b2core: ApiModule<B2CoreFixture> = {
  id: 'b2core',
  title: 'B2Core Back Office API',
  fixtureSchema,
  checkFixture,
  setup({ fixture, keys }) {
    const signer = createJwtSigner(keys, 'RS256', 'b2core');
    return {
      behaviours: createBehaviours(fixture, signer),
      formatError,
      publicJwks: async () => [await signer.publicJwk()],
    };
  },
};

/** Every B2Core error has one body: `{code, message, errors?}` (see `Error` in the spec). */
function formatError(error: MockError) {
  return {
    status: error.status,
    headers: error.headers,
    body: {
      code: error.code,
      message: error.message,
      ...(error.details.length > 0 ? { errors: error.details } : {}),
    },
  };
}
