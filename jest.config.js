/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests', '<rootDir>/examples'],
  // The examples import the package by name, as a user's tests would.
  moduleNameMapper: { '^authdouble$': '<rootDir>/src/index.ts' },
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }] },
  testTimeout: 30000,
  // Tests start servers on 127.0.0.1 and stop them; no open handle should outlive a file.
  forceExit: false,
};
