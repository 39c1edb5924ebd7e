/** Walks the leaves of a JSON value, with each leaf's field name, its parent's name and its path. */

export interface Leaf {
  value: string | number | boolean | null;
  /** The field's name (undefined for array items and the root). */
  key?: string;
  /** The name of the object field the leaf sits in. */
  parentKey?: string;
  /** `body.accessToken.token`, `body.errors[0]`. */
  path: string;
}

/** A copy of `value` with each leaf replaced by what `map` returns for it. */
export function mapLeaves(value: unknown, map: (leaf: Leaf) => unknown, path = 'body', key?: string, parentKey?: string): unknown {
  if (Array.isArray(value)) return value.map((item, i) => mapLeaves(item, map, `${path}[${i}]`, undefined, key ?? parentKey));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = mapLeaves(v, map, joinPath(path, k), k, key);
    return out;
  }
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return map({ value, key, parentKey, path });
  }
  return value;
}

/** `body` + `a` → `body.a`; names that are not identifiers are quoted: `body["2faRequired"]`. */
export function joinPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

export function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/** `mapLeaves` for an asynchronous `map`, leaf after leaf in document order. */
export async function mapLeavesAsync(value: unknown, map: (leaf: Leaf) => Promise<unknown>, path = 'body', key?: string, parentKey?: string): Promise<unknown> {
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const [i, item] of value.entries()) out.push(await mapLeavesAsync(item, map, `${path}[${i}]`, undefined, key ?? parentKey));
    return out;
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = await mapLeavesAsync(v, map, joinPath(path, k), k, key);
    return out;
  }
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return map({ value, key, parentKey, path });
  }
  return value;
}
