import { randomBytes } from 'node:crypto';
import type { LinkedRecords } from '../../state/bounds';
import type { Store } from '../../state/store';
import type { KheFixture, KheUser } from './fixture';

/**
 * The users one state session sees: the fixture's (read-only) and, in the store, the ones signed up
 * since and the fixture users changed since (copied on write). A reset of the session clears the
 * store, and with it every sign-up and change.
 *
 * Store keys (inside the API's scope): `user:<key>` holds a user, `email:<lower-case e-mail>` the key
 * of the user an e-mail belongs to when that is not what the fixture says.
 */
export class Directory {
  constructor(
    private readonly byKey: ReadonlyMap<string, KheUser>,
    private readonly byEmail: ReadonlyMap<string, KheUser>,
    private readonly store: Store,
  ) {}

  static over(fixture: KheFixture): (store: Store) => Directory {
    const byKey = new Map(fixture.users.map((u) => [u.key, u]));
    const byEmail = new Map(fixture.users.map((u) => [u.email.toLowerCase(), u]));
    return (store) => new Directory(byKey, byEmail, store);
  }

  byKeyOf(key: string): KheUser | undefined {
    return this.store.get<KheUser>(`user:${key}`) ?? this.byKey.get(key);
  }

  /** The user whose e-mail this is now (case-insensitive). */
  byEmailOf(email: string): KheUser | undefined {
    const lower = email.toLowerCase();
    const key = this.store.get<string>(`email:${lower}`) ?? this.byEmail.get(lower)?.key;
    const user = key === undefined ? undefined : this.byKeyOf(key);
    // The e-mail may have been changed away from this user since.
    return user && user.email.toLowerCase() === lower ? user : undefined;
  }

  /**
   * Adds a user, or returns undefined when the e-mail is taken. Synchronous: no race can double it.
   * The key is made like a MongoDB ObjectId (the real key is the user's `_id`): 4 bytes of seconds
   * since the epoch (at `nowMs`, the session clock), then 8 random bytes, as 24 hex characters.
   */
  signUp(email: string, password: string, nowMs: number): KheUser | undefined {
    if (this.byEmailOf(email)) return undefined;
    const seconds = Buffer.alloc(4);
    seconds.writeUInt32BE(Math.floor(nowMs / 1000) >>> 0);
    const key = Buffer.concat([seconds, randomBytes(8)]).toString('hex');
    const user: KheUser = { key, email: email.toLowerCase(), password, role: 'attendee' };
    this.save(user);
    return user;
  }

  /**
   * Changes a user's e-mail and/or password; undefined when the new e-mail belongs to someone else.
   * An empty value changes nothing, as the real `if (req.body.email)` / `if (req.body.password)`.
   */
  update(user: KheUser, change: { email?: string; password?: string }): KheUser | undefined {
    const email = change.email ? change.email.toLowerCase() : user.email;
    const owner = this.byEmailOf(email);
    if (owner && owner.key !== user.key) return undefined;
    const updated: KheUser = { ...user, email, password: change.password ? change.password : user.password };
    if (email !== user.email.toLowerCase()) this.store.delete(`email:${user.email.toLowerCase()}`);
    this.save(updated);
    return updated;
  }

  private save(user: KheUser): void {
    this.store.set(`user:${user.key}`, user);
    this.store.set(`email:${user.email.toLowerCase()}`, user.key);
  }
}

/** A user in the store and the index of its e-mail are kept, or dropped, together by the store bounds. */
export const kheLinkedRecords: LinkedRecords = {
  'user:': (user: Partial<KheUser> | null) => (typeof user?.email === 'string' ? [`email:${user.email.toLowerCase()}`] : []),
  'email:': (key: unknown) => (typeof key === 'string' ? [`user:${key}`] : []),
};
