/** JSON Schema pieces that several APIs' fixture schemas share. */

/** A group of settings that may be left out: every property has its own default. */
export function settingsSchema(properties: Record<string, unknown>): Record<string, unknown> {
  return { type: 'object', additionalProperties: false, default: {}, properties };
}

/** A fixed-window rate limit with lockout, with the given defaults. */
export function rateLimitSchema(limit: number, windowSeconds: number, lockoutSeconds: number): Record<string, unknown> {
  return settingsSchema({
    limit: { type: 'integer', minimum: 1, default: limit, description: 'Attempts allowed per window' },
    windowSeconds: { type: 'integer', minimum: 1, default: windowSeconds },
    lockoutSeconds: { type: 'integer', minimum: 1, default: lockoutSeconds, description: 'How long a caller past the limit is locked out' },
  });
}

/** A lifetime in seconds with a default. */
export function secondsSchema(defaultSeconds: number, description: string): Record<string, unknown> {
  return { type: 'integer', minimum: 1, default: defaultSeconds, description };
}

/** Pointers of the entries of `items` whose `key` repeats an earlier one (case-insensitively). */
export function duplicates<T>(items: T[], key: (item: T) => string, base: string, field: string): Array<{ path: string; message: string }> {
  const seen = new Set<string>();
  const problems: Array<{ path: string; message: string }> = [];
  items.forEach((item, i) => {
    const k = key(item).toLowerCase();
    if (seen.has(k)) problems.push({ path: `${base}/${i}/${field}`, message: `duplicate ${field} "${key(item)}"` });
    seen.add(k);
  });
  return problems;
}
