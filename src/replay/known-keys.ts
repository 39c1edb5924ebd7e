/**
 * Private keys of FIB test users that are public already, so that replay can sign a redacted FIB
 * sign-in again: FIB's own documented test key pair (alice and bob in fixtures/fib.yaml) and the
 * key authdouble publishes for `dev@wonderland.space` (README.md, section fib). Another key can be
 * given in AUTHDOUBLE_FIB_KEY, as for `authdouble fib-sign`. Never real keys.
 */
export const PUBLISHED_FIB_KEYS: readonly string[] = [
  '413b285d1819a6166b0daa762bb6bef2d082cffb9a13ce041cb0fda5e2f06dc3',
  '89ff288f2df4fa7a3396b92c469e73925b4c17df2c672c8b785f3a76dadf6134',
];
