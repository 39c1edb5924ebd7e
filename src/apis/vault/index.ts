import type { ApiModule } from '../../engine/types';
import { createJwtSigner } from '../shared/jwt';
import { createBehaviours } from './behaviours';
import { formatError } from './errors';
import { checkFixture, fixtureSchema, type VaultFixture } from './fixture';

/** Vault (card and crypto neobank) API: password and refresh_token grants on one path, RS256 JWTs, logout. */
export const vault: ApiModule<VaultFixture> = {
  id: 'vault',
  title: 'Vault API',
  fixtureSchema,
  checkFixture,
  setup({ fixture, keys }) {
    const signer = createJwtSigner(keys, 'RS256', 'vault');
    return {
      behaviours: createBehaviours(fixture, signer),
      formatError,
      publicJwks: async () => [await signer.publicJwk()],
    };
  },
};
