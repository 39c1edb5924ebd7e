import { duplicates, secondsSchema, settingsSchema } from '../shared/fixture-schemas';

export const ROLES = ['attendee', 'staff', 'admin'] as const;
export type KheRole = (typeof ROLES)[number];

/** A UUID version 4, lower case: what the real server makes keys, tokens and refresh tokens of. */
export const UUID_V4 = '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$';

export interface KheUser {
  /** The user's key (the first half of `Authorization: Basic base64(key:token)`). */
  key: string;
  email: string;
  password: string;
  role: KheRole;
}

export interface KheFixture {
  /** Client IDs the API knows; every sign-up, sign-in and refresh must name one. */
  clients: string[];
  tokens: { lifetimeSeconds: number };
  users: KheUser[];
}

export const fixtureSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'authdouble khe fixture',
  type: 'object',
  additionalProperties: false,
  required: ['clients', 'users'],
  properties: {
    clients: {
      type: 'array',
      minItems: 1,
      description: 'Known client IDs',
      items: { type: 'string', minLength: 1, maxLength: 128 },
    },
    tokens: settingsSchema({
      lifetimeSeconds: secondsSchema(2592000, 'How long a token (and its refresh token) lives: 30 days, as the real server'),
    }),
    users: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'email', 'password'],
        properties: {
          key: { type: 'string', pattern: UUID_V4, description: 'The user key, a lower-case UUIDv4' },
          email: { type: 'string', format: 'email' },
          // The real server's rule ("between 2 and 32 characters"): a longer one could never sign in.
          password: { type: 'string', minLength: 2, maxLength: 32 },
          role: { enum: [...ROLES], default: 'attendee' },
        },
      },
    },
  },
};

export function checkFixture(fixture: KheFixture): Array<{ path: string; message: string }> {
  // Client IDs are compared exactly, as the real server does, so `Web` and `web` are two clients.
  const clients = fixture.clients.flatMap((client, i) =>
    fixture.clients.indexOf(client) < i ? [{ path: `/clients/${i}`, message: `duplicate client "${client}"` }] : [],
  );
  return [
    ...clients,
    ...duplicates(fixture.users, (u) => u.email, '/users', 'email'),
    ...duplicates(fixture.users, (u) => u.key, '/users', 'key'),
  ];
}
