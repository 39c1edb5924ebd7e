import type { CookieAttributes, SameSite } from './cookie';
import { duplicates, secondsSchema, settingsSchema } from '../shared/fixture-schemas';

export interface SamaOrganization {
  _id: string;
  name: string;
}

export interface SamaUser {
  _id: string;
  organization_id: string;
  login: string;
  password: string;
  created_at: string;
  updated_at: string;
  email?: string;
  phone?: string;
  first_name?: string;
  last_name?: string;
}

export interface SamaFixture {
  tokens: { accessTokenSeconds: number; refreshTokenSeconds: number; newLoginRevokesOlder: boolean };
  /** `secure` left out: Secure exactly when `sameSite` is None. */
  cookie: { secure?: boolean; sameSite: SameSite };
  websocket: { maxMessageBytes: number };
  organizations: SamaOrganization[];
  users: SamaUser[];
}

const objectId = { type: 'string', pattern: '^[0-9a-f]{24}$', description: 'A MongoDB ObjectId: 24 lower-case hex digits' };
const timestamp = { type: 'string', format: 'date-time', default: '2022-10-13T13:11:04.447Z' };

export const fixtureSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'authdouble sama fixture',
  type: 'object',
  additionalProperties: false,
  required: ['organizations', 'users'],
  properties: {
    tokens: settingsSchema({
      accessTokenSeconds: secondsSchema(10800, 'Access token lifetime (3 hours, JWT_ACCESS_TOKEN_EXPIRES_IN of the real server)'),
      refreshTokenSeconds: secondsSchema(
        1209600,
        "Refresh token and cookie lifetime: 14 days, JWT_REFRESH_TOKEN_EXPIRES_IN of the real server's .env.example",
      ),
      newLoginRevokesOlder: {
        type: 'boolean',
        default: false,
        description:
          "Whether a new login on a device revokes the device's older tokens. The real server never does (its token lookup never matches), so false by default; true is the stricter behaviour",
      },
    }),
    cookie: settingsSchema({
      secure: {
        type: 'boolean',
        description:
          'Mark the refresh_token cookie Secure (the real server does). Default: off, so that browsers keep it on plain http, unless sameSite is None, which needs it',
      },
      sameSite: {
        enum: ['Strict', 'Lax', 'None'],
        default: 'Lax',
        description: 'The cookie\'s SameSite. None lets a page on another site send it (browsers that block third-party cookies still will not), and implies Secure',
      },
    }),
    websocket: settingsSchema({
      maxMessageBytes: {
        type: 'integer',
        minimum: 64,
        maximum: 1048576,
        default: 65536,
        description: 'Larger frames get a 413 error message; the connection stays open',
      },
    }),
    organizations: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['_id', 'name'],
        properties: { _id: objectId, name: { type: 'string', minLength: 1 } },
      },
    },
    users: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['_id', 'organization_id', 'login', 'password'],
        properties: {
          _id: objectId,
          organization_id: objectId,
          login: { type: 'string', minLength: 1, maxLength: 255 },
          password: { type: 'string', minLength: 1 },
          created_at: timestamp,
          updated_at: timestamp,
          email: { type: 'string', minLength: 1 },
          phone: { type: 'string', minLength: 3, maxLength: 15 },
          first_name: { type: 'string', minLength: 1, maxLength: 20 },
          last_name: { type: 'string', minLength: 1, maxLength: 20 },
        },
      },
    },
  },
};

export function checkFixture(fixture: SamaFixture): Array<{ path: string; message: string }> {
  const orgIds = new Set(fixture.organizations.map((o) => o._id));
  const unknownOrg = fixture.users.flatMap((u, i) =>
    orgIds.has(u.organization_id) ? [] : [{ path: `/users/${i}/organization_id`, message: `no organization has _id "${u.organization_id}"` }],
  );
  return [
    ...duplicates(fixture.organizations, (o) => o._id, '/organizations', '_id'),
    ...duplicates(fixture.users, (u) => u._id, '/users', '_id'),
    ...duplicateLogins(fixture.users),
    ...(fixture.cookie.sameSite === 'None' && fixture.cookie.secure === false
      ? [
          {
            path: '/cookie/secure',
            message: 'is false, but sameSite None needs Secure (browsers drop a SameSite=None cookie without it); remove secure: false, or use sameSite Lax',
          },
        ]
      : []),
    ...unknownOrg,
  ];
}

/** How the refresh cookie is marked: Secure when set so, or by default when SameSite is None. */
export function cookieAttributes(fixture: SamaFixture): CookieAttributes {
  const { sameSite, secure } = fixture.cookie;
  return { sameSite, secure: secure ?? sameSite === 'None' };
}

/** Logins are unique inside an organization (case-insensitively), not across organizations. */
function duplicateLogins(users: SamaUser[]): Array<{ path: string; message: string }> {
  const seen = new Set<string>();
  return users.flatMap((u, i) => {
    const key = `${u.organization_id}/${u.login.toLowerCase()}`;
    if (!seen.has(key)) {
      seen.add(key);
      return [];
    }
    return [{ path: `/users/${i}/login`, message: `duplicate login "${u.login}" in organization ${u.organization_id}` }];
  });
}
