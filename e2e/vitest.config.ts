import { defineProject } from 'vitest/config';

// End-to-end tests drive the built `koker` binary as root against the real kernel. They share
// host resources (mounts, links, cgroups), so files run one after another.
export default defineProject({
  resolve: { conditions: ['koker-source'] },
  ssr: { resolve: { conditions: ['koker-source'] } },
  test: {
    name: 'e2e',
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    globalSetup: ['./helpers/global-setup.ts'],
  },
});
