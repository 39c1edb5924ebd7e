import type { Clock } from '../../state/clock';
import type { Store } from '../../state/store';
import { newId, TokenBook, type TokenRecord } from '../shared/token-book';

const TOKEN = 'token';
const REFRESH = 'refresh';

interface TokenData {
  client: string;
  /** On a refresh token: the access token issued with it, which a refresh replaces. */
  token?: string;
}

/** The one live session a user has with one client (`session:<key>:<client>` in the store). */
interface ClientSession {
  family: string;
  token: string;
  refresh: string;
}

export interface Issued {
  key: string;
  token: string;
  refresh: string;
  expiresAt: number;
}

export type Authenticated = TokenRecord<TokenData>;

/**
 * How long a refresh token lives when refresh tokens do not expire (the real server's behaviour):
 * long enough never to matter, short enough to stay a finite time-to-live for the store.
 */
const NEVER_MS = 100 * 365 * 24 * 60 * 60 * 1000;

/**
 * Tokens as the real server keeps them (hacksu/kenthackenough `app/users/controller.js`): a user has
 * at most one token (and one refresh token) per client. Signing in again with the same client
 * returns that token and refresh token with the expiry pushed back (lines 149-162), even when the
 * token had expired; a refresh replaces both (lines 219-224) and never looks at the expiry; signing
 * out removes them. With `refreshExpires` (the stricter fixture setting) the refresh token dies with
 * its token, and a sign-in after that makes new ones. Every method is synchronous, so two requests
 * cannot both spend one refresh token.
 */
export class ClientSessions {
  private readonly book: TokenBook<TokenData>;
  private readonly refreshLifetimeMs: number;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly lifetimeMs: number,
    private readonly refreshExpires = false,
  ) {
    this.book = new TokenBook<TokenData>(store, clock);
    this.refreshLifetimeMs = refreshExpires ? lifetimeMs : NEVER_MS;
  }

  /** Sign-in (and sign-up): the client's session with a fresh expiry, or a new session. */
  open(key: string, client: string): Issued {
    const current = this.store.get<ClientSession>(pointer(key, client));
    const reusable = current && (this.refreshExpires ? this.book.check(current.token, TOKEN).ok : this.book.familyAlive(current.family));
    if (current && reusable) {
      return this.issue(key, client, current.family, current.token, current.refresh);
    }
    const family = this.book.startFamily(key, this.refreshLifetimeMs);
    return this.issue(key, client, family, newId(), newId());
  }

  /** The live token `token` of user `key`, or undefined (unknown, another user's, expired, revoked). */
  authenticate(key: string, token: string): Authenticated | undefined {
    const checked = this.book.check(token, TOKEN);
    return checked.ok && checked.record.subject === key ? checked.record : undefined;
  }

  /** Spends `refresh` for a new token and refresh token; undefined when it is not the live one. */
  refresh(key: string, client: string, refresh: string): Issued | undefined {
    const checked = this.book.check(refresh, REFRESH);
    if (!checked.ok || checked.record.subject !== key || checked.record.data?.client !== client) return undefined;
    this.book.consume(refresh, REFRESH);
    // The token issued with this refresh token is replaced too: one token per client.
    if (checked.record.data.token !== undefined) this.book.consume(checked.record.data.token, TOKEN);
    return this.issue(key, client, checked.record.family, newId(), newId());
  }

  /** Signs out: the session `record` belongs to, its token and its refresh token, are dead. */
  close(record: Authenticated): void {
    this.book.endFamily(record.family);
    const client = record.data?.client ?? '';
    const at = pointer(record.subject, client);
    if (this.store.get<ClientSession>(at)?.family === record.family) this.store.delete(at);
  }

  private issue(key: string, client: string, family: string, token: string, refresh: string): Issued {
    const now = this.clock.now();
    const expiresAt = now + this.lifetimeMs;
    this.book.issue(token, { kind: TOKEN, family, subject: key, expiresAt, data: { client } });
    this.book.issue(refresh, { kind: REFRESH, family, subject: key, expiresAt: now + this.refreshLifetimeMs, data: { client, token } });
    this.store.set<ClientSession>(pointer(key, client), { family, token, refresh }, this.refreshLifetimeMs);
    return { key, token, refresh, expiresAt };
  }
}

function pointer(key: string, client: string): string {
  return `session:${key}:${client}`;
}
