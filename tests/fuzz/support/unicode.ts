import fc from 'fast-check';

/**
 * Unicode strings, from one arbitrary of each kind. fast-check builds a large table of the unicode
 * units every time `fc.string({unit: 'grapheme'})` is called; deriving every length from one
 * instance keeps that to once per run.
 */
const GRAPHEMES = fc.string({ unit: 'grapheme', maxLength: 200 });
const BINARY = fc.string({ unit: 'binary', maxLength: 200 });

/** Graphemes of any script, `min` to `max` UTF-16 units long (a cut may split a surrogate pair: fine here). */
export function graphemes(min: number, max: number): fc.Arbitrary<string> {
  return GRAPHEMES.map((s) => s.slice(0, max)).filter((s) => s.length >= min);
}

/** Any code points, lone surrogates included. */
export function binary(max: number): fc.Arbitrary<string> {
  return BINARY.map((s) => s.slice(0, max));
}
