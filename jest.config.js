// ESM + TypeScript through ts-jest, as in actions/typescript-action.
// Run with NODE_OPTIONS=--experimental-vm-modules (see package.json "test:only").
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }]
  },
  testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
  // Integration tests run real Nix builds (some under QEMU): generous, per test.
  testTimeout: 300000,
  // Two cores: two workers keep Nix builds from starving each other.
  maxWorkers: 2,
  verbose: true,
  // scripts/test.sh reads its counts from this reporter's file, written as each test file ends.
  reporters: process.env.NIX_CI_TEST_COUNTS ? ['default', '<rootDir>/scripts/jest-count-reporter.mjs'] : ['default']
}
