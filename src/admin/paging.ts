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

export function encodeCursor(position: string): string {
  return Buffer.from(`p:${position}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const text = /^[A-Za-z0-9_-]*$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!text.startsWith('p:')) throw new MockError('validation_failed', 400, 'cursor: not a cursor this server gave; use the "next" of the previous page');
  return text.slice(2);
}

/** A number as a string that sorts as the number does (for ids and times, up to 16 digits). */
export function sortable(n: number): string {
  return String(Math.max(0, Math.floor(n))).padStart(16, '0');
}

/**
 * The `k` first of `items` in the order of `compare`, sorted: with many more items than `k` (the
 * tokens of a busy mock, for one page), a heap of `k` instead of sorting them all. `items` may be
 * reordered.
 */
export function firstInOrder<T>(items: T[], k: number, compare: (a: T, b: T) => number): T[] {
  if (k <= 0) return [];
  if (items.length <= 2 * k) return items.sort(compare).slice(0, k);
  // A max-heap of the k smallest so far: its root is the largest of them.
  const heap: T[] = [];
  const up = (i: number): void => {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (compare(heap[i]!, heap[parent]!) <= 0) return;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  };
  const down = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < heap.length && compare(heap[l]!, heap[top]!) > 0) top = l;
      if (r < heap.length && compare(heap[r]!, heap[top]!) > 0) top = r;
      if (top === i) return;
      [heap[i], heap[top]] = [heap[top]!, heap[i]!];
      i = top;
    }
  };
  for (const item of items) {
    if (heap.length < k) {
      heap.push(item);
      up(heap.length - 1);
    } else if (compare(item, heap[0]!) < 0) {
      heap[0] = item;
      down(0);
    }
  }
  return heap.sort(compare);
}
