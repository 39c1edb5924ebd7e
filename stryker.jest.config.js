/**
 * The jest configuration `npm run mutate` uses: the in-process tests that exercise src/apis/shared,
 * src/engine and src/state, without the globalSetup build (the mutants live in the sources jest
 * compiles, not in dist/) and without tests that run the built CLI, Prism or a browser.
 */
const base = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  globalSetup: undefined,
  roots: ['<rootDir>/tests'],
  testMatch: [
    '<rootDir>/tests/unit/{state,token-book,token-book-bounds,spec-checker}.test.ts',
    '<rootDir>/tests/integration/{engine,admin,control-api-promises,normalisation,state-file,cors,signing-keys}.test.ts',
    '<rootDir>/tests/integration/{b2core-signin,b2core-tokens,b2core-rate-limits,b2core-bad-input,vault-token,fib-tokens,khe-tokens,sama-login}.test.ts',
  ],
};
