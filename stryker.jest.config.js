/**
 * The jest configuration `npm run mutate` uses: the in-process tests that exercise src/apis/shared,
 * src/engine and src/state, without the globalSetup build (the mutants live in the sources jest
 * compiles, not in dist/) and without tests that run the built CLI, Prism or a browser. (The few
 * CLI tests inside these files run the sandbox's copy of dist/, which has no mutants: they pass in
 * the initial run and never count for or against a mutant.) tests/integration/redis-smoke.test.ts
 * and tests/redis/store-contract.test.ts start their own redis-server, so src/state/redis.ts is
 * exercised too.
 */
const base = require('./jest.config.js');

/**
 * MUTATE_TESTS (test files relative to the repository, separated by spaces, globs allowed) replaces the
 * selection below, for a quicker run on part of the code: each mutant runs every selected test that
 * reaches it, and every selected file is loaded for each mutant, so fewer files is faster.
 */
const only = process.env.MUTATE_TESTS?.split(/\s+/).filter(Boolean);

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  globalSetup: undefined,
  roots: ['<rootDir>/tests'],
  testMatch: only?.length ? only.map((f) => `<rootDir>/${f}`) : [
    '<rootDir>/tests/unit/{state,state-rules,token-book,token-book-bounds,spec-checker,precompiled}.test.ts',
    '<rootDir>/tests/unit/{signing-keys-file,state-file-refusals,state-file-saving}.test.ts',
    '<rootDir>/tests/integration/{engine,admin,control-api-promises,normalisation,state-file,cors,signing-keys}.test.ts',
    '<rootDir>/tests/integration/{b2core-signin,b2core-tokens,b2core-rate-limits,b2core-bad-input,vault-token,fib-tokens,khe-tokens,sama-login}.test.ts',
    '<rootDir>/tests/integration/{b2core-2fa,sama-websocket,redis-smoke,control-api-details,engine-answers}.test.ts',
    '<rootDir>/tests/redis/store-contract.test.ts',
    '<rootDir>/tests/abuse/{journal-bounds,state-bounds,websocket-limits,oversized-body}.test.ts',
  ],
};
