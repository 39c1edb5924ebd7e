/**
 * Redaction of recorded exchanges: passwords, tokens, refresh tokens, cookies, Authorization
 * headers, signatures, client secrets and 2FA codes become markers (see markers.ts). A Redactor
 * lives for a whole recording, so that one token is the same marker in the response that issued it
 * and in every later request that sends it: replay can carry it forward without ever seeing it.
 */
import { formatCookieHeader, formatSetCookie, parseCookieHeader, parseSetCookie } from './cookies';
import { secretKindInContext, userOfBody, userOfMessage } from './fields';
import type { HarCookie, HarEntry, HarNameValue, HarWebSocketMessage } from './har';
import { mapLeaves, parseJson } from './json-walk';
import { formatMarker, isMarker, type SecretKind } from './markers';

/** Kinds filled in from the fixtures at replay, so the marker names the user. */
const USER_KINDS: ReadonlySet<SecretKind> = new Set(['password', 'signature', 'otp', 'secret']);
/** Values shorter than this are replaced only where they were found, never elsewhere in the text. */
const MIN_GLOBAL_LENGTH = 8;
/** Request headers (besides Authorization and Cookie) whose values are credentials. */
const SECRET_HEADER = /token|secret|api-?key|signature|password|^x-auth/i;

export class Redactor {
  private readonly markers = new Map<string, string>();
  private nextId = 1;
  /** The user of the last request that named one: a 2FA code belongs to them. */
  private lastUser: string | undefined;

  /** A redacted copy of `entry`; the original is left as it is. */
  redact(entry: HarEntry): HarEntry {
    const copy = structuredClone(entry);
    this.redactRequest(copy);
    this.redactResponse(copy);
    this.replaceEverywhere(copy);
    if (copy._webSocketMessages) copy._webSocketMessages = copy._webSocketMessages.map((m) => this.redactMessage(m));
    return copy;
  }

  /**
   * A redacted copy of one WebSocket frame, redacted as a JSON body is (`{request: {connect:
   * {token}}}`: the token gets the marker the HTTP response that issued it got), then scrubbed of
   * any known secret. Frames are redacted in the order they came, after their upgrade's entry.
   */
  redactMessage(message: HarWebSocketMessage): HarWebSocketMessage {
    if (message.opcode !== 1) return { ...message };
    const parsed = parseJson(message.data);
    let data = message.data;
    if (parsed.ok) {
      const user = message.type === 'send' ? userOfMessage(parsed.value) : undefined;
      if (user !== undefined) this.lastUser = user;
      data = JSON.stringify(this.redactBody(parsed.value, user ?? this.lastUser));
    }
    return { ...message, data: this.scrubber()(data) };
  }

  /** The marker of a secret value: the same one every time the value comes back. */
  private markerFor(value: string, kind: SecretKind, user?: string): string {
    if (isMarker(value)) return value;
    // Credentials are filled from the fixtures by user at replay: one marker per user, no identity
    // (two users may well share a password).
    if (USER_KINDS.has(kind) && user !== undefined) return formatMarker({ kind, user });
    const known = this.markers.get(value);
    if (known !== undefined) return known;
    const text = formatMarker({ kind, id: this.nextId++ });
    this.markers.set(value, text);
    return text;
  }

  private redactBody(body: unknown, user: string | undefined): unknown {
    return mapLeaves(body, (leaf) => {
      if (typeof leaf.value !== 'string') return leaf.value;
      const kind = secretKindInContext(leaf.key, leaf.parentKey, leaf.value);
      return kind === undefined ? leaf.value : this.markerFor(leaf.value, kind, user);
    });
  }

  private redactRequest(entry: HarEntry): void {
    const req = entry.request;
    const post = req.postData;
    if (post) {
      const mime = post.mimeType.toLowerCase();
      if (post.text !== undefined && mime.includes('json')) {
        const parsed = parseJson(post.text);
        if (parsed.ok) {
          const user = userOfBody(parsed.value) ?? this.lastUser;
          this.lastUser = userOfBody(parsed.value) ?? this.lastUser;
          post.text = JSON.stringify(this.redactBody(parsed.value, user));
        }
      } else if (mime.includes('x-www-form-urlencoded')) {
        const params = new URLSearchParams(post.text ?? '');
        const asObject = Object.fromEntries(params);
        const user = userOfBody(asObject) ?? this.lastUser;
        this.lastUser = userOfBody(asObject) ?? this.lastUser;
        const redacted = this.redactBody(asObject, user) as Record<string, string>;
        if (post.text !== undefined) post.text = new URLSearchParams(redacted).toString();
        if (post.params) post.params = post.params.map((p) => ({ ...p, value: redacted[p.name] ?? p.value }));
      }
    }
    req.queryString = req.queryString.map((q) => {
      const kind = secretKindInContext(q.name, undefined, q.value);
      return kind === undefined ? q : { ...q, value: this.markerFor(q.value, kind, this.lastUser) };
    });
    req.headers = req.headers.map((h) => ({ ...h, value: this.redactRequestHeader(h) }));
    req.cookies = req.cookies.map((c) => this.redactCookie(c));
  }

  private redactRequestHeader(header: HarNameValue): string {
    const name = header.name.toLowerCase();
    if (name === 'authorization' || name === 'proxy-authorization') return this.redactAuthorization(header.value);
    if (name === 'cookie') {
      return formatCookieHeader(parseCookieHeader(header.value).map((c) => ({ ...c, value: this.cookieValue(c.value) })));
    }
    if (SECRET_HEADER.test(name) && header.value !== '') return this.markerFor(header.value, 'secret');
    return header.value;
  }

  private redactAuthorization(value: string): string {
    const m = /^(\S+)\s+(.+)$/.exec(value.trim());
    if (!m) return value.trim() === '' ? value : this.markerFor(value.trim(), 'token');
    const scheme = m[1]!;
    const rest = m[2]!;
    if (scheme.toLowerCase() === 'basic') {
      const decoded = Buffer.from(rest, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return `${scheme} ${this.markerFor(rest, 'authorization')}`;
      const user = decoded.slice(0, colon);
      const password = decoded.slice(colon + 1);
      // Known already: a token an earlier response issued (khe sends key:token). Else a password.
      const marker = this.markers.get(password) ?? this.markerFor(password, 'password', user);
      return `${scheme} ${Buffer.from(`${user}:${marker}`, 'utf8').toString('base64')}`;
    }
    return `${scheme} ${this.markerFor(rest, scheme.toLowerCase() === 'bearer' ? 'token' : 'authorization')}`;
  }

  private cookieValue(value: string): string {
    return value === '' ? value : this.markerFor(value, 'cookie');
  }

  private redactCookie(cookie: HarCookie): HarCookie {
    return { ...cookie, value: this.cookieValue(cookie.value) };
  }

  private redactResponse(entry: HarEntry): void {
    const res = entry.response;
    res.headers = res.headers.map((h) => {
      if (h.name.toLowerCase() !== 'set-cookie') return h;
      const cookie = parseSetCookie(h.value);
      return { ...h, value: formatSetCookie({ ...cookie, value: this.cookieValue(cookie.value) }) };
    });
    res.cookies = res.cookies.map((c) => this.redactCookie(c));
    const content = res.content;
    if (content.text !== undefined && content.encoding === undefined && content.mimeType.toLowerCase().includes('json')) {
      const parsed = parseJson(content.text);
      if (parsed.ok) content.text = JSON.stringify(this.redactBody(parsed.value, this.lastUser));
    }
  }

  /** Any known secret still in the entry (a token in a URL, a text body, a comment) goes too. */
  private replaceEverywhere(entry: HarEntry): void {
    const scrub = this.scrubber();
    const scrubPairs = (pairs: HarNameValue[]) => pairs.map((p) => ({ ...p, value: scrub(p.value) }));
    const { request: req, response: res } = entry;
    req.url = scrub(req.url);
    req.headers = scrubPairs(req.headers);
    req.queryString = scrubPairs(req.queryString);
    req.cookies = req.cookies.map((c) => ({ ...c, value: scrub(c.value) }));
    if (req.postData?.text !== undefined) req.postData.text = scrub(req.postData.text);
    if (req.postData?.params) req.postData.params = scrubPairs(req.postData.params);
    res.headers = scrubPairs(res.headers);
    res.cookies = res.cookies.map((c) => ({ ...c, value: scrub(c.value) }));
    if (res.content.text !== undefined) res.content.text = scrub(res.content.text);
    res.redirectURL = scrub(res.redirectURL);
    if (entry.comment !== undefined) entry.comment = scrub(entry.comment);
  }

  /** Replaces every known secret (as it is, JSON-escaped or URL-encoded) in a text by its marker. */
  private scrubber(): (text: string) => string {
    const secrets = [...this.markers].filter(([value]) => value.length >= MIN_GLOBAL_LENGTH).sort((a, b) => b[0].length - a[0].length);
    return (text) => {
      let out = text;
      for (const [value, marker] of secrets) {
        for (const form of new Set([value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)])) {
          if (out.includes(form)) out = out.split(form).join(marker);
        }
      }
      return out;
    };
  }
}
