import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['properties/**/*.test.ts', 'scripts/**/*.test.ts', 'spec/**/*.test.ts'],
    setupFiles: ['properties/support/setup.ts'],
    testTimeout: 60_000,
    reporters: ['default'],
  },
});
