import type { TestServer } from './server';

export const FOO = { email: 'foo@bar.com', password: 'Secret123' };
export const TWOFA = { email: 'twofa@bar.com', password: 'Secret123' };

export interface Pair {
  accessToken: { token: string; createdAt: string; expiresAt: string };
  refreshToken: { token: string; createdAt: string; expiresAt: string };
}

export async function signIn(server: TestServer, creds = FOO): Promise<Pair> {
  const res = await server.api('b2core').post('/api/v2/signin').send(creds).expect(200);
  return res.body as Pair;
}

export function bearer(token: string): [string, string] {
  return ['Authorization', `Bearer ${token}`];
}
