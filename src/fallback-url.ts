import { StartupError } from './errors';

/** `--fallback <url>` checked where it enters: an absolute http(s) URL with no query or fragment. */
export function parseFallbackUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new StartupError(`fallback "${value}" is not a URL; write it as http(s)://host[:port][/base-path]`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new StartupError(`fallback "${value}" must be an http:// or https:// URL`);
  }
  if (url.search || url.hash || url.username) {
    throw new StartupError(`fallback "${value}" must have no query, fragment or credentials`);
  }
  return url;
}
