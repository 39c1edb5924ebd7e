import { EngineCodes, MockError } from '../errors';
import type { SecurityScheme } from './compile';
import type { Credential, MockRequest } from './types';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Reads the credentials an operation's security schemes name. Returns those present, by scheme
 * name; throws a 401 MockError when no alternative is satisfied or a header is malformed.
 */
export function readCredentials(
  alternatives: SecurityScheme[][],
  req: MockRequest,
  cookies: Record<string, string>,
): Record<string, Credential> {
  const found: Record<string, Credential> = {};
  if (alternatives.length === 0) return found;
  for (const alternative of alternatives) {
    for (const scheme of alternative) {
      if (!(scheme.name in found)) {
        const credential = readOne(scheme, req, cookies);
        if (credential) found[scheme.name] = credential;
      }
    }
  }
  if (alternatives.some((alt) => alt.every((s) => s.name in found))) return found;
  throw new MockError(EngineCodes.missingCredentials, 401, `Authentication required: ${describe(alternatives)}`);
}

function readOne(scheme: SecurityScheme, req: MockRequest, cookies: Record<string, string>): Credential | undefined {
  if (scheme.kind === 'apiKey') {
    const raw =
      scheme.in === 'header' ? req.headers[scheme.param] : scheme.in === 'query' ? req.query[scheme.param] : cookies[scheme.param];
    const value = Array.isArray(raw) ? raw[0] : raw;
    return value ? { type: 'apiKey', value } : undefined;
  }
  const header = req.headers.authorization;
  if (!header) return undefined;
  const space = header.indexOf(' ');
  const kind = (space === -1 ? header : header.slice(0, space)).toLowerCase();
  const rest = space === -1 ? '' : header.slice(space + 1).trim();
  if (scheme.kind === 'bearer') {
    if (kind !== 'bearer') return undefined;
    if (!rest || /\s/.test(rest)) {
      throw new MockError(EngineCodes.invalidCredentialsHeader, 401, 'The Authorization header must be "Bearer <token>"');
    }
    return { type: 'bearer', token: rest };
  }
  if (kind !== 'basic') return undefined;
  const decoded = BASE64.test(rest) && rest.length % 4 === 0 ? Buffer.from(rest, 'base64').toString('utf8') : undefined;
  const colon = decoded?.indexOf(':') ?? -1;
  if (decoded === undefined || colon === -1) {
    throw new MockError(
      EngineCodes.invalidCredentialsHeader,
      401,
      'The Authorization header must be "Basic " followed by base64 of "<user>:<password>"',
    );
  }
  return { type: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function describe(alternatives: SecurityScheme[][]): string {
  const one = (s: SecurityScheme): string =>
    s.kind === 'bearer'
      ? 'an Authorization: Bearer <token> header'
      : s.kind === 'basic'
        ? 'an Authorization: Basic header'
        : `the ${s.param} ${s.in === 'header' ? 'header' : s.in === 'query' ? 'query parameter' : 'cookie'}`;
  return alternatives
    .filter((alt) => alt.length > 0)
    .map((alt) => alt.map(one).join(' and '))
    .join(', or ');
}
