/**
 * Carrying values forward through a replay: a token, cookie or key a live response returned replaces
 * the recorded one in later requests. Values are matched by the recorded value (or the marker that
 * stands for it), found at the same JSON path of the recorded and the live response, or by cookie
 * name; where a marker has no match, by the kind of value (the newest live refresh token, say).
 */
import { parseSetCookie } from './cookies';
import { isVaryingField, secretKindInContext } from './fields';
import { isMarker } from './markers';

/** Recorded values shorter than this are not replaced inside other text (too likely to be a word). */
const MIN_LENGTH = 8;

export class CarryForward {
  /** Recorded text (a value or a marker) → the live value that took its place. */
  private readonly byValue = new Map<string, string>();
  /** `token`, `refresh-token`, `cookie:<name>` → the newest live value of that kind. */
  private readonly byKind = new Map<string, string>();

  /** Learns from one step: what the recording had where the live response has something else. */
  learn(recordedBody: unknown, liveBody: unknown, recordedSetCookies: string[], liveSetCookies: string[]): void {
    this.walk(recordedBody, liveBody, undefined, undefined);
    const recorded = new Map(recordedSetCookies.map((h) => [parseSetCookie(h).name, parseSetCookie(h).value]));
    for (const header of liveSetCookies) {
      const { name, value } = parseSetCookie(header);
      this.byKind.set(`cookie:${name}`, value);
      const old = recorded.get(name);
      if (old !== undefined && old !== '' && old !== value) this.remember(old, value);
    }
  }

  /** The newest live value of a kind (`token`, `refresh-token`, `cookie:refresh_token`). */
  latest(kind: string): string | undefined {
    return this.byKind.get(kind);
  }

  /** The live value for a marker seen in a recorded response. */
  forMarker(markerText: string): string | undefined {
    return this.byValue.get(markerText);
  }

  /** `text` with every recorded value that has a live one replaced by it (markers are left). */
  substitute(text: string): string {
    let out = text;
    const known = [...this.byValue].filter(([k]) => !isMarker(k)).sort((a, b) => b[0].length - a[0].length);
    for (const [recorded, live] of known) if (out.includes(recorded)) out = out.split(recorded).join(live);
    return out;
  }

  private remember(recorded: string, live: string): void {
    if (recorded !== live && (recorded.length >= MIN_LENGTH || isMarker(recorded))) this.byValue.set(recorded, live);
  }

  private walk(recorded: unknown, live: unknown, key: string | undefined, parentKey: string | undefined): void {
    if (Array.isArray(recorded) && Array.isArray(live)) {
      recorded.forEach((item, i) => this.walk(item, live[i], undefined, key ?? parentKey));
      return;
    }
    if (recorded !== null && typeof recorded === 'object' && live !== null && typeof live === 'object' && !Array.isArray(live)) {
      const l = live as Record<string, unknown>;
      for (const [k, v] of Object.entries(recorded as Record<string, unknown>)) this.walk(v, l[k], k, key);
      return;
    }
    if (typeof live !== 'string') return;
    const kind = secretKindInContext(key, parentKey, live) ?? (typeof recorded === 'string' ? secretKindInContext(key, parentKey, recorded) : undefined);
    if (kind !== undefined) this.byKind.set(kind, live);
    if (typeof recorded === 'string' && (kind !== undefined || isVaryingField(key, recorded) || isMarker(recorded))) {
      this.remember(recorded, live);
    }
  }
}
