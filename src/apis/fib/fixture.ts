import { duplicates, secondsSchema, settingsSchema } from '../shared/fixture-schemas';

export interface FibUser {
  /** The e-mail the user signs and signs in with; the `sub` claim. */
  email: string;
  /** The FIB account id, `name@domain` (the `acc` claim). */
  account: string;
  /** The public key of the user's "Authorization" key pair, 64 hex characters. */
  authPublicKeyHex: string;
  /** The `role` claim. */
  role: string;
}

export interface FibFixture {
  tokens: { accessTokenSeconds: number; refreshTokenSeconds: number };
  users: FibUser[];
}

export const fixtureSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'authdouble fib fixture',
  type: 'object',
  additionalProperties: false,
  required: ['users'],
  properties: {
    tokens: settingsSchema({
      accessTokenSeconds: secondsSchema(300, 'Access token lifetime, also the `expirationTime` returned (300, as in the document)'),
      refreshTokenSeconds: secondsSchema(86400, 'Refresh token lifetime from issue (24 hours, as in the document’s example tokens)'),
    }),
    users: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['email', 'account', 'authPublicKeyHex'],
        properties: {
          email: { type: 'string', format: 'email' },
          account: { type: 'string', pattern: '^[^@\\s]+@[^@\\s]+$', description: 'FIB account id, `name@domain`' },
          authPublicKeyHex: {
            type: 'string',
            pattern: '^[0-9a-fA-F]{64}$',
            description: 'Public key of the "Authorization" key pair: 32 bytes as 64 hex characters',
          },
          role: { type: 'string', minLength: 1, default: 'ROLE_PEER' },
        },
      },
    },
  },
};

export function checkFixture(fixture: FibFixture): Array<{ path: string; message: string }> {
  return [
    ...duplicates(fixture.users, (u) => u.email, '/users', 'email'),
    ...duplicates(fixture.users, (u) => u.account, '/users', 'account'),
  ];
}
