/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests', '<rootDir>/examples'],
  // The examples import the package by name, as a user's tests would.
  moduleNameMapper: { '^authdouble$': '<rootDir>/src/index.ts' },
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }] },
  testTimeout: 30000,
  // The end-to-end tests run the built CLI: build dist/ first when the sources are newer.
  globalSetup: '<rootDir>/tests/global-setup.js',
  // The default keys file goes to a temporary folder, not the developer's own cache.
  setupFiles: ['<rootDir>/tests/setup-env.js'],
  // Tests start servers on 127.0.0.1 and stop them; no open handle should outlive a file.
  forceExit: false,
};
