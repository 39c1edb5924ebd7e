import { duplicates, secondsSchema, settingsSchema } from '../shared/fixture-schemas';

export const ROLES = ['attendee', 'staff', 'admin'] as const;
export type KheRole = (typeof ROLES)[number];

/**
 * A user key: the MongoDB `_id` of the user, 24 lower-case hex characters (hacksu/kenthackenough
 * `app/users/controller.js` line 53 answers `key: user._id`).
 */
export const OBJECT_ID = '^[0-9a-f]{24}$';

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
  tokens: { lifetimeSeconds: number; refreshExpires: boolean };
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
      lifetimeSeconds: secondsSchema(2592000, 'How long a token lives: 30 days, as the real server'),
      refreshExpires: {
        type: 'boolean',
        default: false,
        description:
          'Whether a refresh token expires with its token. The real server never checks (app/users/controller.js, refresh, lines 205-243), so false by default; true is the stricter behaviour',
      },
    }),
    users: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'email', 'password'],
        properties: {
          key: { type: 'string', pattern: OBJECT_ID, description: 'The user key, a MongoDB ObjectId: 24 lower-case hex characters' },
          email: { type: 'string', format: 'email' },
          // The real sign-in rule /.{2,32}/ has no anchors: any password of 2 or more characters signs in.
          password: { type: 'string', minLength: 2, maxLength: 1024 },
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
