import { defineConfig } from 'vitest/config';

// One root config; each package is a project. Sources are used directly through the
// `koker-source` export condition, so unit tests need no build.
export default defineConfig({
  resolve: { conditions: ['koker-source'] },
  ssr: { resolve: { conditions: ['koker-source'] } },
  test: {
    projects: ['packages/*', 'e2e'],
  },
});
