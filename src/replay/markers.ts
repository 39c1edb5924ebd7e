/**
 * The marker that stands in a HAR for a redacted secret. It says what kind of value it was, keeps
 * the identity of the value (the same token is the same `#n` wherever it appears, so replay can
 * still carry it forward) and, for credentials, which fixture user it belonged to:
 *
 *   <redacted:token#3>
 *   <redacted:password user=foo@bar.com>
 *   <redacted:otp user=twofa@bar.com>
 */

export type SecretKind =
  | 'password'
  | 'token'
  | 'refresh-token'
  | 'cookie'
  | 'signature'
  | 'otp'
  | 'secret'
  | 'authorization';

export const SECRET_KINDS: readonly SecretKind[] = ['password', 'token', 'refresh-token', 'cookie', 'signature', 'otp', 'secret', 'authorization'];

export interface Marker {
  kind: SecretKind;
  /** Which value of the recording it was (same number, same value). */
  id?: number;
  /** The fixture user (e-mail or login) a credential belongs to. */
  user?: string;
}

export function formatMarker(marker: Marker): string {
  const id = marker.id === undefined ? '' : `#${marker.id}`;
  const user = marker.user === undefined ? '' : ` user=${marker.user}`;
  return `<redacted:${marker.kind}${id}${user}>`;
}

const MARKER = /<redacted:([a-z-]+)(?:#(\d+))?(?: user=([^>]*))?>/g;

/** The markers in `text`, with where they are. */
export function findMarkers(text: string): Array<{ marker: Marker; start: number; end: number; text: string }> {
  const found: Array<{ marker: Marker; start: number; end: number; text: string }> = [];
  for (const m of text.matchAll(MARKER)) {
    const kind = m[1] as SecretKind;
    if (!SECRET_KINDS.includes(kind)) continue;
    found.push({
      marker: { kind, id: m[2] === undefined ? undefined : Number(m[2]), user: m[3] },
      start: m.index,
      end: m.index + m[0].length,
      text: m[0],
    });
  }
  return found;
}

export function isMarker(text: string): boolean {
  const found = findMarkers(text);
  return found.length === 1 && found[0]!.start === 0 && found[0]!.end === text.length;
}
