import { MockError } from '../errors';

/** The most items one page of `/__admin/tokens` or `/__admin/requests` holds, and the default. */
export const MAX_PAGE = 1000;

export interface Page<T> {
  items: T[];
  /** The cursor of the next page; absent on the last one. */
  next?: string;
}

/**
 * One page of `items`, which must be sorted by `position` (ascending, unique). The cursor is the
 * position of the last item sent, so a page stays right when items come and go between calls.
 */
export function pageOf<T>(items: T[], position: (item: T) => string, query: Record<string, unknown>): Page<T> {
  const limit = query.limit === undefined ? MAX_PAGE : Number(query.limit);
  const after = query.cursor === undefined ? undefined : decodeCursor(String(query.cursor));
  let start = 0;
  if (after !== undefined) {
    // Binary search: the first item past the cursor.
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (position(items[mid]!) <= after) lo = mid + 1;
      else hi = mid;
    }
    start = lo;
  }
  const page = items.slice(start, start + limit);
  const more = start + limit < items.length;
  return more && page.length > 0 ? { items: page, next: encodeCursor(position(page[page.length - 1]!)) } : { items: page };
}

function encodeCursor(position: string): string {
  return Buffer.from(`p:${position}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const text = /^[A-Za-z0-9_-]*$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!text.startsWith('p:')) throw new MockError('validation_failed', 400, 'cursor: not a cursor this server gave; use the "next" of the previous page');
  return text.slice(2);
}

/** A number as a string that sorts as the number does (for ids and times, up to 16 digits). */
export function sortable(n: number): string {
  return String(Math.max(0, Math.floor(n))).padStart(16, '0');
}
