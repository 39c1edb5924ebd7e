import { duplicates, secondsSchema, settingsSchema } from '../shared/fixture-schemas';

export interface VaultClient {
  id: string;
  name?: string;
}

export interface VaultUser {
  /** The `user_id` of the token response: `usr:<uuid>`. */
  id: string;
  username: string;
  password: string;
  /** The granted scope, one permission an entry; the response joins them with spaces. */
  scope: string[];
}

export interface VaultFixture {
  tokens: { accessTokenSeconds: number; refreshTokenSeconds: number };
  clients: VaultClient[];
  users: VaultUser[];
}

/** The scope of the seed's example response: what a user without a `scope` in the fixture gets. */
export const SEED_SCOPE = [
  'accounts:create', 'accounts:read', 'top_up_account:show', 'top_up_bank_card:show', 'top_up_crypto:show',
  'top_up_bank:show', 'top_up_atm_gcp_qr:show', 'withdraw_account:show', 'withdraw_bank:show',
  'withdraw_crypto:show', 'withdraw_atm_gcp_qr:show', 'exchange:show', 'accounts:show',
  'withdraw_other_account:show', 'deposit:read', 'deposit_crypto:create', 'deposit_bank:create',
  'deposit_atm:create', 'transfer:read', 'transfer_own:create', 'transfer_other:create', 'exchange:read',
  'exchange:create', 'withdraw:read', 'withdraw_crypto:create', 'withdraw_bank:create', 'withdraw_atm:create',
  'withdraw_ips:show', 'cardholder_user:read', 'cardholder_user:write', 'user_phone:write', 'user_email:write',
  'user_email:create', 'user_phone:create', 'user_mfa:read', 'user_mfa:create', 'counterparty:create',
  'counterparty:read',
];

export const fixtureSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'authdouble vault fixture',
  type: 'object',
  additionalProperties: false,
  required: ['clients', 'users'],
  properties: {
    tokens: settingsSchema({
      accessTokenSeconds: secondsSchema(86400, 'Access token lifetime, the `expires_in` of the response (1 day, as in the seed)'),
      refreshTokenSeconds: secondsSchema(2592000, 'Refresh token lifetime (30 days; authdouble choice)'),
    }),
    clients: {
      type: 'array',
      minItems: 1,
      description: 'The client applications whose `client_id` the token endpoint accepts',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id'],
        properties: {
          // The printable ASCII of RFC 6749's client_id (VSCHAR), no spaces.
          id: { type: 'string', pattern: '^[!-~]{1,256}$' },
          name: { type: 'string' },
        },
      },
    },
    users: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'username', 'password'],
        properties: {
          id: {
            type: 'string',
            pattern: '^usr:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
            description: 'The `user_id`: `usr:` and a lower-case UUID',
          },
          username: { type: 'string', minLength: 1, maxLength: 320, description: 'Matched without regard to case' },
          password: { type: 'string', minLength: 1, maxLength: 1024 },
          scope: {
            type: 'array',
            minItems: 1,
            uniqueItems: true,
            // RFC 6749 scope-token characters.
            items: { type: 'string', pattern: '^[!#-\\[\\]-~]+$' },
            default: SEED_SCOPE,
            description: "The granted permissions; the seed's full list when absent",
          },
        },
      },
    },
  },
};

export function checkFixture(fixture: VaultFixture): Array<{ path: string; message: string }> {
  return [
    ...duplicates(fixture.clients, (c) => c.id, '/clients', 'id'),
    ...duplicates(fixture.users, (u) => u.username, '/users', 'username'),
    ...duplicates(fixture.users, (u) => u.id, '/users', 'id'),
  ];
}
