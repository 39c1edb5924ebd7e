/**
 * The real server's check of sign-up and sign-in bodies, rule for rule. Source:
 * hacksu/kenthackenough `app/users/model.js` (`Helpers.validate`, lines 132-152) with the library it
 * pins, eivindfjeldstad/validate 3.0.1 (`lib/schema.js` `validate`/`typecast`/`strip`,
 * `lib/property.js` `required`/`type`/`match`/`error`) and its `typecast` 0.0.1 (`string`: `val.toString()`).
 *
 * - `typecast: true`: every field that is present and not null becomes `String(value)` first, so a
 *   number, a boolean, even an object (`"[object Object]"`) passes the `type: 'string'` rule.
 * - `required`: the value must be truthy, so a missing field, `null` and `""` fail.
 * - `match: /.{2,32}/` on the password has no anchors: any value with 2 characters in a row on one
 *   line passes, however long.
 * - The e-mail is only checked to be present (no format).
 * - Fields not in the schema are stripped (`strip` defaults to on), not refused.
 * - A failure is validate's `Error` with a `path`; `res.multiError` serialises it as `{"path":"email"}`
 *   (an Error's `message` is not an own enumerable property, so JSON leaves it out). One error per
 *   field, in the schema's order: email, password, client.
 */

export interface FieldError {
  path: string;
}

const PASSWORD = /.{2,32}/;

/** What the real server's typecast makes of a present value: its string form. */
function typecast(value: unknown): unknown {
  if (value === null || value === undefined) return value;
  try {
    return String(value);
  } catch {
    // e.g. {"toString": 1}: the real server crashes here; authdouble calls the field invalid instead.
    return undefined;
  }
}

/**
 * Checks and normalises a sign-up or sign-in body as the real server does. Returns the typecast
 * fields (unknown ones dropped), or the list of field errors.
 */
export function validateCredentials(
  body: unknown,
): { ok: true; value: { email: string; password: string; client: string } } | { ok: false; errors: FieldError[] } {
  const input = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const email = typecast(input.email);
  const password = typecast(input.password);
  const client = typecast(input.client);
  const errors: FieldError[] = [];
  if (!email) errors.push({ path: 'email' });
  if (!password || !PASSWORD.test(password as string)) errors.push({ path: 'password' });
  if (!client) errors.push({ path: 'client' });
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { email: email as string, password: password as string, client: client as string } };
}
