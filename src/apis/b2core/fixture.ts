import type { RateLimitRule } from '../../state/rate-limiter';
import { duplicates, rateLimitSchema, secondsSchema, settingsSchema } from '../shared/fixture-schemas';

export interface B2CoreUser {
  id: string;
  email: string;
  password: string;
  twoFactor: boolean;
  /** A fixed 2FA code for this user (handy offline); a random six-digit one when absent. */
  twoFactorCode?: string;
}

export interface B2CoreFixture {
  issuer: string;
  tokens: { accessTokenSeconds: number; refreshTokenSeconds: number; twoFactorTokenSeconds: number };
  rateLimits: { signIn: RateLimitRule; confirm: RateLimitRule; refresh: RateLimitRule };
  users: B2CoreUser[];
}

export const fixtureSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'authdouble b2core fixture',
  type: 'object',
  additionalProperties: false,
  required: ['users'],
  properties: {
    issuer: { type: 'string', minLength: 1, default: 'https://ap.vendor.com', description: 'The `iss` claim of issued JWTs' },
    tokens: settingsSchema({
      accessTokenSeconds: secondsSchema(36000, 'Access token lifetime (10 hours, as in the document)'),
      refreshTokenSeconds: secondsSchema(2592000, 'Refresh token lifetime (30 days)'),
      twoFactorTokenSeconds: secondsSchema(600, '2FA token lifetime (10 minutes)'),
    }),
    rateLimits: settingsSchema({
      signIn: rateLimitSchema(5, 60, 300),
      confirm: rateLimitSchema(3, 60, 300),
      refresh: rateLimitSchema(5, 60, 300),
    }),
    users: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'email', 'password'],
        properties: {
          id: { type: 'string', minLength: 1, description: 'The `sub` claim' },
          email: { type: 'string', format: 'email' },
          password: { type: 'string', minLength: 1 },
          twoFactor: { type: 'boolean', default: false },
          twoFactorCode: { type: 'string', pattern: '^[0-9]{6}$' },
        },
      },
    },
  },
};

export function checkFixture(fixture: B2CoreFixture): Array<{ path: string; message: string }> {
  return [
    ...duplicates(fixture.users, (u) => u.email, '/users', 'email'),
    ...duplicates(fixture.users, (u) => u.id, '/users', 'id'),
  ];
}
