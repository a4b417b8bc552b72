import type { Config } from 'jest';

/** Tests run on the Node 24 that the `node` devDependency puts first on npm scripts' PATH. */
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Type errors are caught once by `tsc --noEmit` in `npm test`; here we only transpile.
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  testTimeout: 120000,
  globalSetup: '<rootDir>/test/support/require-spec.ts',
};

export default config;
