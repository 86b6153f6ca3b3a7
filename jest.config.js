// One jest run for the whole monorepo. Tests import sibling packages by name;
// the mapper points those names at their TypeScript sources so a test never
// runs against a stale dist/ (type-checking is `tsc -b`, run before jest).
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/examples'],
  testMatch: ['**/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }],
  },
  moduleNameMapper: {
    '^@davsync/core/testing$': '<rootDir>/packages/core/src/testing/index.ts',
    '^@davsync/core/base$': '<rootDir>/packages/core/src/base.ts',
    '^@davsync/adapter-postgres/testing$': '<rootDir>/packages/adapter-postgres/src/testing/index.ts',
    '^@davsync/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
  },
  testTimeout: 30000,
};
