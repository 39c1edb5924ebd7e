/**
 * Partial matching of an actual value against what a flow expects. Objects match when every
 * expected key matches (other keys are free); arrays when they have the same length and each item
 * matches; anything else by equality. Operators, as one-key objects:
 *   {$match: "regex"}   a string matching the regular expression
 *   {$exists: false}    the key is absent (true: present)
 *   {$type: "string"}   typeof (or "array", "null", "integer")
 *   {$not: value}       anything that does not match value
 */

/** Why `actual` does not match `expected`, or undefined when it does. `where` is a path for messages. */
export function mismatch(expected: unknown, actual: unknown, where = ''): string | undefined {
  if (isOperator(expected)) return operatorMismatch(expected, actual, where);
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${at(where)} is ${describe(actual)}, expected an array`;
    if (actual.length !== expected.length) return `${at(where)} has ${actual.length} items, expected ${expected.length}`;
    for (let i = 0; i < expected.length; i++) {
      const problem = mismatch(expected[i], actual[i], `${where}/${i}`);
      if (problem) return problem;
    }
    return undefined;
  }
  if (isPlainObject(expected)) {
    if (!isPlainObject(actual)) return `${at(where)} is ${describe(actual)}, expected an object`;
    for (const [key, value] of Object.entries(expected)) {
      if (isOperator(value) && '$exists' in value) {
        const problem = operatorMismatch(value, Object.hasOwn(actual, key) ? actual[key] : ABSENT, `${where}/${key}`);
        if (problem) return problem;
        continue;
      }
      if (!Object.hasOwn(actual, key)) return `${at(`${where}/${key}`)} is missing`;
      const problem = mismatch(value, actual[key], `${where}/${key}`);
      if (problem) return problem;
    }
    return undefined;
  }
  return Object.is(expected, actual) ? undefined : `${at(where)} is ${describe(actual)}, expected ${JSON.stringify(expected)}`;
}

const ABSENT = Symbol('absent');
const OPERATORS = ['$match', '$exists', '$type', '$not'];

function isOperator(value: unknown): value is Record<string, unknown> {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && OPERATORS.includes(keys[0]!);
}

function operatorMismatch(op: Record<string, unknown>, actual: unknown, where: string): string | undefined {
  if ('$exists' in op) {
    const present = actual !== ABSENT && actual !== undefined;
    if (present === Boolean(op.$exists)) return undefined;
    return present ? `${at(where)} is present (${describe(actual)}), expected it absent` : `${at(where)} is missing`;
  }
  if (actual === ABSENT) return `${at(where)} is missing`;
  if ('$match' in op) {
    if (typeof actual !== 'string') return `${at(where)} is ${describe(actual)}, expected a string matching /${String(op.$match)}/`;
    return new RegExp(String(op.$match)).test(actual) ? undefined : `${at(where)} is ${describe(actual)}, expected to match /${String(op.$match)}/`;
  }
  if ('$type' in op) {
    const type = String(op.$type);
    if (typeOf(actual) === type || (type === 'number' && typeOf(actual) === 'integer')) return undefined;
    return `${at(where)} is ${describe(actual)}, expected ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
  }
  return mismatch(op.$not, actual, where) === undefined ? `${at(where)} is ${describe(actual)}, expected anything else` : undefined;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && Number.isInteger(value)) return 'integer';
  return typeof value;
}

function at(where: string): string {
  return where === '' ? 'the value' : where;
}

/** A short rendering of a value for messages (long strings and bodies are cut). */
export function describe(value: unknown, max = 120): string {
  if (value === undefined) return 'nothing';
  const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
