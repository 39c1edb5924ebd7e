import type { TestServer } from './server';

/** The fixture's hacker, as khe's sign-in takes it. */
export const HACKER = { client: 'khe-web', email: 'hacker@khe.io', password: 'hackathon' };
/** The hacker's key (the user id), the first half of every key:token it gets. */
export const HACKER_KEY = '5f1e0c2ab36d4c0017a3e9d1';
export const LOGGED_OUT = { errors: ['You must be logged in to access this area'] };

/** What a sign-in answers. */
export interface SignedIn {
  role: string;
  key: string;
  token: string;
  refresh: string;
  expires: string;
}

/** khe's credentials: key:token over HTTP Basic. */
export function basic(key: string, token: string): string {
  return `Basic ${Buffer.from(`${key}:${token}`).toString('base64')}`;
}

export async function signIn(server: TestServer, body: Record<string, string> = HACKER): Promise<SignedIn> {
  return (await server.api('khe').post('/v1.0/users/token').send(body).expect(201)).body as SignedIn;
}
