import { createHash, hash, randomUUID } from 'node:crypto';
import type { Clock } from '../../state/clock';
import type { Store } from '../../state/store';

/**
 * Issued tokens and the sessions ("families") they belong to, kept in an API's store. A family
 * starts at sign-in; refreshing adds tokens to it; signing out ends it, and with it every token it
 * holds. Each call is synchronous, so check-and-consume cannot be raced.
 */
export interface TokenRecord<Data = unknown> {
  kind: string;
  family: string;
  subject: string;
  issuedAt: number;
  expiresAt: number;
  data?: Data;
}

export type TokenCheck<Data> =
  | { ok: true; record: TokenRecord<Data> }
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked' };

/** Expired tokens are remembered this long, so a client is told "expired" rather than "unknown". */
const EXPIRED_GRACE_MS = 60 * 60 * 1000;

/**
 * At most this many sessions live per subject (user) and API; starting one more ends the oldest
 * finished one, as many real services do. A session still being issued (its tokens not yet signed)
 * is never ended by the cap, so every correct sign-in succeeds whatever the concurrency; while more
 * than this many are in flight, the count may pass the cap until they finish. It also bounds memory
 * when one account signs in without end (a load test).
 */
export const MAX_FAMILIES_PER_SUBJECT = 100;

/**
 * A family remembers the keys of its latest this-many tokens, to forget them at once when it ends.
 * Older ones (the access tokens of a long refresh chain) are dead from then on all the same (every
 * check asks whether the family lives) and leave the store when they expire. A bounded list keeps a
 * refresh O(1) in the length of the chain.
 */
export const FAMILY_TOKENS_REMEMBERED = 16;

interface Family {
  subject: string;
  expiresAt: number;
  /**
   * Digests of the latest tokens issued in the family (some may be gone already: used, or expired),
   * separated by spaces ('' before the first): one string costs a third of a list of strings. State
   * saved before this form held a list of store keys (`token:<digest>`): both are read.
   */
  tokens: string | string[];
}

/** The digests (or, in state saved before, store keys) a family remembers. */
function remembered(family: Family): string[] {
  const { tokens } = family;
  if (typeof tokens !== 'string') return tokens;
  return tokens === '' ? [] : tokens.split(' ');
}

/** What the store holds per token: the record, and the token itself (for inspection). */
interface StoredToken<Data> extends TokenRecord<Data> {
  token: string;
}

/**
 * JOSE headers of the JWTs kept, each once: an API signs with one key, so all its tokens share one
 * header. Bounded, in case a fixture's keys change often: past the bound a token is kept as text.
 */
const HEADERS = new Map<string, string>();
const MAX_HEADERS = 256;

/**
 * A stored token as this process keeps it in memory, with every field in one order (objects built
 * by spreading, `{ ...record, token }`, got a hidden class of their own each once V8 optimised the
 * spread: about 300 bytes per token). A JWT is kept packed, which is 40% smaller than its text: its
 * header shared with every token of the same key, its payload and signature as their bytes (one
 * character per byte), rebuilt exactly when the token is read (`token`) or saved (`toJSON`, so the
 * state file and Redis keep the plain record with the token's text, as before). Anything else (an
 * opaque token, or a JWT that would not come back exactly) is kept as text.
 */
class KeptToken<Data> implements StoredToken<Data> {
  private constructor(
    readonly kind: string,
    readonly family: string,
    readonly subject: string,
    readonly issuedAt: number,
    readonly expiresAt: number,
    readonly data: Data | undefined,
    /** The token's text, or its header when packed. */
    private readonly text: string,
    /** Packed: the payload's bytes, then the signature's, as latin1 ('' when not packed). */
    private readonly bytes: string,
    /** Packed: how many of `bytes` are the payload's (-1 when not packed). */
    private readonly cut: number,
  ) {}

  static of<Data>(r: TokenRecord<Data>, token: string): KeptToken<Data> {
    const [head, payload, signature, extra] = token.split('.');
    if (head !== undefined && payload !== undefined && signature !== undefined && extra === undefined && head.length > 0) {
      let shared = HEADERS.get(head);
      if (shared === undefined && HEADERS.size < MAX_HEADERS) {
        // A copy of its own: `head` is part of this token's text, which V8 would keep whole with it.
        shared = Buffer.from(head, 'latin1').toString('latin1');
        HEADERS.set(shared, shared);
      }
      if (shared !== undefined) {
        const p = Buffer.from(payload, 'base64url');
        const packed = new KeptToken(r.kind, r.family, r.subject, r.issuedAt, r.expiresAt, r.data, shared, Buffer.concat([p, Buffer.from(signature, 'base64url')]).toString('latin1'), p.length);
        // Only what comes back exactly is packed (base64url that is not canonical would not).
        if (packed.token === token) return packed;
      }
    }
    return new KeptToken(r.kind, r.family, r.subject, r.issuedAt, r.expiresAt, r.data, token, '', -1);
  }

  get token(): string {
    if (this.cut < 0) return this.text;
    const bytes = Buffer.from(this.bytes, 'latin1');
    return [this.text, bytes.subarray(0, this.cut).toString('base64url'), bytes.subarray(this.cut).toString('base64url')].join('.');
  }

  toJSON(): StoredToken<Data> {
    const plain: StoredToken<Data> = { kind: this.kind, family: this.family, subject: this.subject, issuedAt: this.issuedAt, expiresAt: this.expiresAt, token: this.token };
    if (this.data !== undefined) plain.data = this.data;
    return plain;
  }
}

/** The record of a stored token, without the token (a new object: the stored one stays as it is). */
function recordOf<Data>(s: StoredToken<Data>): TokenRecord<Data> {
  const record: TokenRecord<Data> = { kind: s.kind, family: s.family, subject: s.subject, issuedAt: s.issuedAt, expiresAt: s.expiresAt };
  if (s.data !== undefined) record.data = s.data;
  return record;
}

/**
 * Tokens are kept under a digest of their value: a short key instead of a second copy of the token.
 * 128 bits of SHA-256 (22 characters): as unique as the tokens themselves for any number a mock
 * holds, and a third of the memory of the whole digest, which is kept twice (the store's key, the
 * family's list).
 */
function digestOf(token: string): string {
  // The first 16 bytes of the SHA-256 in base64url, from node's one-shot hash (a third of the cost of
  // createHash on every authenticated request): 21 whole characters, then one that holds the last
  // 2 bits of byte 16 (its 4 low bits, from byte 17, cleared).
  const full = hash('sha256', token, 'base64url');
  return full.slice(0, 21) + BASE64URL[BASE64URL.indexOf(full[21]!) & 0x30]!;
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The key state saved before 128-bit digests has a token under: the whole SHA-256. */
function legacyKeyOf(token: string): string {
  return TOKEN_PREFIX + createHash('sha256').update(token).digest('base64url');
}

const TOKEN_PREFIX = 'token:';

/** The store key of a family's remembered token (a digest, or a whole key in state saved before). */
function keyOfRemembered(remembered: string): string {
  return remembered.startsWith(TOKEN_PREFIX) ? remembered : TOKEN_PREFIX + remembered;
}

/**
 * A random UUID as one flat string, for ids and opaque tokens that are kept. `randomUUID()` builds its
 * text piece by piece, which V8 keeps as a chain of about 14 joined strings (some 450 bytes) for as
 * long as the id lives; a copy through a buffer is 56 bytes.
 */
export function newId(): string {
  return Buffer.from(randomUUID(), 'latin1').toString('latin1');
}

export class TokenBook<Data = unknown> {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** Starts a session for `subject` that lives at most `ttlMs` unless extended by `issue`. */
  startFamily(subject: string, ttlMs: number): string {
    const family = newId();
    this.store.set<Family>(`family:${family}`, { subject, expiresAt: this.clock.now() + ttlMs, tokens: '' }, ttlMs);
    const index = `subject:${subject}`;
    let families = this.store.get<string[]>(index) ?? [];
    // Below the cap, the list (which may hold ended families) just grows: no family is read. At the
    // cap, one pass reads each family once (a burst of sign-ins past the cap read every family twice
    // per sign-in, 60 ms of event loop for 250 at once): the ended ones leave the list, and the
    // oldest finished ones (tokens issued) are ended to make room, never one still being issued.
    if (families.length >= MAX_FAMILIES_PER_SUBJECT) {
      const live: string[] = [];
      const finished: string[] = [];
      const records = this.store.getMany<Family>(families.map((f) => `family:${f}`));
      for (const [i, f] of families.entries()) {
        const record = records[i];
        if (!record) continue;
        live.push(f);
        if (record.tokens.length > 0) finished.push(f);
      }
      const ended = new Set(finished.slice(0, Math.max(0, live.length - MAX_FAMILIES_PER_SUBJECT + 1)));
      for (const f of ended) this.endFamily(f);
      families = ended.size === 0 ? live : live.filter((f) => !ended.has(f));
    }
    // concat, not [...families, family]: a spread array is made with room for 17 more.
    this.store.set(index, families.concat(family), ttlMs);
    return family;
  }

  familyAlive(family: string): boolean {
    return this.store.get<Family>(`family:${family}`) !== undefined;
  }

  /** Whether `family` lives and has no token yet: its sign-in is still being issued. */
  issuing(family: string): boolean {
    return this.store.get<Family>(`family:${family}`)?.tokens.length === 0;
  }

  /** Records `token` in `family`; the family is kept alive at least as long as the token. */
  issue(token: string, record: Omit<TokenRecord<Data>, 'issuedAt'> & { issuedAt?: number }): TokenRecord<Data> {
    const now = this.clock.now();
    const full: TokenRecord<Data> = {
      kind: record.kind,
      family: record.family,
      subject: record.subject,
      issuedAt: record.issuedAt ?? now,
      expiresAt: record.expiresAt,
    };
    if (record.data !== undefined) full.data = record.data;
    const ttl = full.expiresAt - now;
    const digest = digestOf(token);
    this.store.set<StoredToken<Data>>(TOKEN_PREFIX + digest, KeptToken.of(full, token), ttl + EXPIRED_GRACE_MS);
    const family = this.store.get<Family>(`family:${full.family}`);
    if (family) {
      // The latest few only: a long chain of refreshes neither grows the list nor costs more per refresh.
      const kept = remembered(family).filter((k) => k !== digest && k !== TOKEN_PREFIX + digest);
      // join makes one flat string (a `+` would keep the pieces as a chain).
      const tokens = kept.slice(-(FAMILY_TOKENS_REMEMBERED - 1)).concat(digest).join(' ');
      const expiresAt = Math.max(family.expiresAt, full.expiresAt);
      this.store.set<Family>(`family:${full.family}`, { subject: family.subject, expiresAt, tokens }, expiresAt - now);
    }
    return full;
  }

  /** Whether `token` is a live token of `kind`. */
  check(token: string, kind: string): TokenCheck<Data> {
    return this.checkAt(this.find(token), kind);
  }

  /** Checks `token` and, when live, removes it in the same step: a single-use token. */
  consume(token: string, kind: string): TokenCheck<Data> {
    const found = this.find(token);
    const result = this.checkAt(found, kind);
    if (result.ok) this.store.delete(found!.key);
    return result;
  }

  /** The stored token and its key; in state saved before 128-bit digests, under the whole digest. */
  private find(token: string): { key: string; stored: StoredToken<Data> } | undefined {
    const key = TOKEN_PREFIX + digestOf(token);
    const stored = this.store.get<StoredToken<Data>>(key);
    if (stored) return { key, stored };
    const legacy = legacyKeyOf(token);
    const old = this.store.get<StoredToken<Data>>(legacy);
    return old && old.token === token ? { key: legacy, stored: old } : undefined;
  }

  private checkAt(found: { stored: StoredToken<Data> } | undefined, kind: string): TokenCheck<Data> {
    if (!found) return { ok: false, reason: 'unknown' };
    const { stored } = found;
    if (stored.kind !== kind) return { ok: false, reason: 'unknown' };
    if (stored.expiresAt <= this.clock.now()) return { ok: false, reason: 'expired' };
    if (!this.familyAlive(stored.family)) return { ok: false, reason: 'revoked' };
    return { ok: true, record: recordOf(stored) };
  }

  /** Ends a session: every token of the family is dead, and forgotten, from now on. */
  endFamily(family: string): void {
    const ended = this.store.take<Family>(`family:${family}`);
    for (const token of ended ? remembered(ended) : []) this.store.delete(keyOfRemembered(token));
  }

  /** Live tokens, for inspection, each with its store key (a digest of the token: unique, short) and its text. */
  live(): Array<{ key: string; token: string; record: TokenRecord<Data> }> {
    return this.listLive().map((t) => ({ key: t.key, token: t.text(), record: t.record() }));
  }

  /**
   * Live tokens as `live()` gives them, but each token's record and text are made only when asked
   * for (a packed JWT is rebuilt): a listing makes them for the page it sends, not for every live
   * token. The live families are read in one pass over the store, without marking each as used.
   */
  listLive(): LiveToken<Data>[] {
    const now = this.clock.now();
    const families = new Set<string>();
    for (const [key] of this.store.entries<Family>(FAMILY_PREFIX)) families.add(key.slice(FAMILY_PREFIX.length));
    const out: LiveToken<Data>[] = [];
    for (const [key, stored] of this.store.entries<StoredToken<Data>>(TOKEN_PREFIX)) {
      if (stored.expiresAt > now && families.has(stored.family)) out.push(new LiveToken(key, stored));
    }
    return out;
  }
}

const FAMILY_PREFIX = 'family:';

/** A live token of a listing: its key and issue time at once, its record and text when asked for. */
export class LiveToken<Data> {
  constructor(
    readonly key: string,
    private readonly stored: StoredToken<Data>,
  ) {}

  get issuedAt(): number {
    return this.stored.issuedAt;
  }

  record(): TokenRecord<Data> {
    return recordOf(this.stored);
  }

  /** The token's text (a packed JWT is rebuilt on each call). */
  text(): string {
    return this.stored.token;
  }
}
