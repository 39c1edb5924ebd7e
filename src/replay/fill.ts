/**
 * Turns a recorded request into the one to send now: recorded tokens and cookies are replaced by
 * the live ones carried forward, markers of redacted secrets are filled (from the carried values,
 * the fixtures or the outbox), and a 2FA code is fetched afresh from the target's outbox.
 */
import type { CarryForward } from './carry';
import { formatCookieHeader, parseCookieHeader } from './cookies';
import type { Credentials } from './credentials';
import { secretKindOfField, userOfBody } from './fields';
import type { HarNameValue } from './har';
import { mapLeaves, mapLeavesAsync, parseJson } from './json-walk';
import { findMarkers, type Marker } from './markers';

export interface RecordedRequest {
  method: string;
  /** Path and query inside the API: `/api/v2/signin?x=1`. */
  pathAndQuery: string;
  headers: HarNameValue[];
  body?: { mimeType: string; text: string };
}

export interface LiveRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export interface FillContext {
  api: string;
  carry: CarryForward;
  credentials: Credentials;
  /** The user the last request named; a 2FA code or a bare marker belongs to them. */
  lastUser?: string;
  /** Whether the target has a control API (and so an outbox to read fresh 2FA codes from). */
  hasOutbox: boolean;
}

export interface FilledRequest {
  request: LiveRequest;
  /** Markers nothing could fill, with why. */
  unfilled: string[];
}

/** Headers never sent as recorded: they belong to the connection, or the replay sets them. */
const DROP = new Set([
  'host', 'connection', 'keep-alive', 'content-length', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'expect',
  'accept-encoding', 'proxy-connection', 'proxy-authorization', 'x-authdouble-session', 'if-none-match', 'if-modified-since',
]);

interface Hint {
  user?: string;
  cookieName?: string;
}

export async function fillRequest(recorded: RecordedRequest, baseUrl: string, ctx: FillContext): Promise<FilledRequest> {
  const unfilled: string[] = [];
  let bodyUser: string | undefined;
  let body: string | undefined;
  if (recorded.body) {
    const filled = await fillBody(recorded.body, ctx, unfilled);
    body = filled.text;
    bodyUser = filled.user;
  }
  const hint: Hint = { user: bodyUser ?? ctx.lastUser };
  const headers: Record<string, string> = {};
  for (const h of recorded.headers) {
    const name = h.name.toLowerCase();
    if (name.startsWith(':') || DROP.has(name)) continue;
    let value: string;
    if (name === 'authorization') value = await fillAuthorization(h.value, hint, ctx, unfilled);
    else if (name === 'cookie') {
      const pairs = parseCookieHeader(h.value);
      for (const pair of pairs) pair.value = await fillText(pair.value, { ...hint, cookieName: pair.name }, ctx, unfilled);
      value = formatCookieHeader(pairs);
    } else value = await fillText(h.value, hint, ctx, unfilled);
    headers[name] = headers[name] === undefined ? value : name === 'cookie' ? `${headers[name]}; ${value}` : `${headers[name]}, ${value}`;
  }
  if (recorded.body && headers['content-type'] === undefined) headers['content-type'] = recorded.body.mimeType;
  const pathAndQuery = await fillText(recorded.pathAndQuery, hint, ctx, unfilled);
  if (bodyUser !== undefined) ctx.lastUser = bodyUser;
  return {
    request: { method: recorded.method, url: `${baseUrl.replace(/\/+$/, '')}${pathAndQuery}`, headers, body },
    unfilled,
  };
}

/**
 * A recorded WebSocket frame to send now: filled as a JSON request body is (carried tokens, filled
 * markers), or as text when it is not JSON.
 */
export async function fillMessage(text: string, ctx: FillContext): Promise<{ text: string; unfilled: string[] }> {
  const unfilled: string[] = [];
  const filled = await fillBody({ mimeType: 'application/json', text }, ctx, unfilled);
  if (filled.user !== undefined) ctx.lastUser = filled.user;
  return { text: filled.text, unfilled };
}

async function fillBody(body: { mimeType: string; text: string }, ctx: FillContext, unfilled: string[]): Promise<{ text: string; user?: string }> {
  const mime = body.mimeType.toLowerCase();
  if (mime.includes('json')) {
    const parsed = parseJson(body.text);
    if (!parsed.ok) return { text: await fillText(body.text, { user: ctx.lastUser }, ctx, unfilled) };
    const user = userOfBody(parsed.value);
    const hint = { user: user ?? ctx.lastUser };
    const filled = await mapLeavesAsync(parsed.value, async (leaf) =>
      typeof leaf.value === 'string' ? fillText(leaf.value, hint, ctx, unfilled) : leaf.value,
    );
    const fresh = await freshOtp(filled, hint.user, ctx);
    return { text: JSON.stringify(fresh ?? filled), user };
  }
  if (mime.includes('x-www-form-urlencoded')) {
    const params = Object.fromEntries(new URLSearchParams(body.text));
    const user = userOfBody(params);
    const hint = { user: user ?? ctx.lastUser };
    for (const [k, v] of Object.entries(params)) params[k] = await fillText(v, hint, ctx, unfilled);
    const fresh = (await freshOtp(params, hint.user, ctx)) as Record<string, string> | undefined;
    return { text: new URLSearchParams(fresh ?? params).toString(), user };
  }
  return { text: await fillText(body.text, { user: ctx.lastUser }, ctx, unfilled) };
}

/** The body with its 2FA code fields set to the newest code in the outbox, if it has one. */
async function freshOtp(body: unknown, user: string | undefined, ctx: FillContext): Promise<unknown> {
  if (!ctx.hasOutbox || body === null || typeof body !== 'object') return undefined;
  let hasOtp = false;
  mapLeaves(body, (leaf) => {
    if (leaf.key !== undefined && secretKindOfField(leaf.key, leaf.value) === 'otp') hasOtp = true;
    return leaf.value;
  });
  if (!hasOtp) return undefined;
  const code = await ctx.credentials.outboxCode(ctx.api, user);
  if (code === undefined) return undefined;
  return mapLeaves(body, (leaf) => (leaf.key !== undefined && secretKindOfField(leaf.key, leaf.value) === 'otp' ? code : leaf.value));
}

async function fillAuthorization(value: string, hint: Hint, ctx: FillContext, unfilled: string[]): Promise<string> {
  const m = /^(Basic)\s+(\S+)$/i.exec(value.trim());
  if (m) {
    const decoded = Buffer.from(m[2]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0 && /^[\x20-\x7e]*$/.test(decoded)) {
      const user = decoded.slice(0, colon);
      const filled = await fillText(decoded, { ...hint, user: hint.user ?? user }, ctx, unfilled);
      return `${m[1]} ${Buffer.from(filled, 'utf8').toString('base64')}`;
    }
  }
  return fillText(value, hint, ctx, unfilled);
}

/** `text` with carried values and filled markers. */
async function fillText(text: string, hint: Hint, ctx: FillContext, unfilled: string[]): Promise<string> {
  let out = ctx.carry.substitute(text);
  const markers = findMarkers(out).reverse();
  for (const m of markers) {
    const value = ctx.carry.forMarker(m.text) ?? (await resolve(m.marker, hint, ctx));
    if (value === undefined) {
      unfilled.push(`${m.text}: ${why(m.marker, hint, ctx)}`);
      continue;
    }
    out = out.slice(0, m.start) + value + out.slice(m.end);
  }
  return out;
}

async function resolve(marker: Marker, hint: Hint, ctx: FillContext): Promise<string | undefined> {
  const user = marker.user ?? hint.user;
  switch (marker.kind) {
    case 'password':
      return ctx.credentials.password(ctx.api, user);
    case 'signature':
      return ctx.credentials.signature(ctx.api, user);
    case 'otp':
      return ctx.credentials.otp(ctx.api, user);
    case 'token':
    case 'refresh-token':
      return ctx.carry.latest(marker.kind);
    case 'cookie':
      return hint.cookieName === undefined ? undefined : ctx.carry.latest(`cookie:${hint.cookieName}`);
    default:
      return undefined;
  }
}

function why(marker: Marker, hint: Hint, ctx: FillContext): string {
  const user = marker.user ?? hint.user;
  switch (marker.kind) {
    case 'password':
      return user === undefined
        ? 'a redacted password, and the recording does not say whose'
        : `no ${ctx.api} fixture user "${user}" with a password (record with --no-redact, or pass --fixtures with that user)`;
    case 'signature':
      return `cannot sign for "${user ?? '?'}": no fixture user with a published test key (set AUTHDOUBLE_FIB_KEY to the user's private key)`;
    case 'otp':
      return `no 2FA code for "${user ?? '?'}": the target has no outbox (control API) and the fixture user has no fixed twoFactorCode`;
    case 'token':
    case 'refresh-token':
    case 'cookie':
      return `no earlier step of the replay returned a ${marker.kind}`;
    default:
      return `a redacted ${marker.kind} cannot be filled in; record with --no-redact`;
  }
}
