// Jest runs the project as native ESM (Nest 12 packages are ESM only): ts-jest emits ESM and
// `npm test` sets NODE_OPTIONS=--experimental-vm-modules.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    // The package's own name, as the demo imports it, resolves to the sources under test.
    '^tasks-module$': '<rootDir>/src/tasks/index.ts',
    '^tasks-module/migrations$': '<rootDir>/migrations/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testTimeout: 60_000,
  maxWorkers: 2,
  // A worker that ran many suites holds 1.4-1.5 GB (every ESM suite loads its own modules), and
  // its process was gone 0.47-1.03 s after its last 'exit' event (freeing that memory): past
  // jest's 500 ms, hence "A worker process has failed to exit gracefully" in about every other
  // run with no handle left open. Recycled past 700 MB, the last worker is gone in 0.3-0.4 s.
  workerIdleMemoryLimit: '700MB',
};
