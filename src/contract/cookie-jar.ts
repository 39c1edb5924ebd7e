/**
 * The cookies of one check, as a browser keeps them for one site: set by `Set-Cookie`, removed by
 * `Max-Age=0` or an `Expires` in the past, and sent back on every request of the check. Paths and
 * domains are not modelled: a check talks to one API.
 */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  /** Takes the `Set-Cookie` headers of a response. `now` is the client's time in ms. */
  take(setCookies: string[], now: number): void {
    for (const header of setCookies) {
      const [pair = '', ...attributes] = header.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (expired(attributes, now) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  /** The `Cookie` header to send, or undefined when the jar is empty. */
  header(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  toJSON(): Record<string, string> {
    return Object.fromEntries(this.cookies);
  }
}

function expired(attributes: string[], now: number): boolean {
  for (const attribute of attributes) {
    const [key = '', value = ''] = attribute.split('=').map((s) => s.trim());
    if (key.toLowerCase() === 'max-age' && Number(value) <= 0) return true;
    if (key.toLowerCase() === 'expires') {
      const at = Date.parse(value);
      if (!Number.isNaN(at) && at <= now) return true;
    }
  }
  return false;
}
