import { defineProject, type ViteUserConfig } from 'vitest/config';

/** The per-package vitest project: unit tests under test/, sources via the `koker-source` condition. */
export function kokerProject(name: string, overrides: ViteUserConfig['test'] = {}) {
  return defineProject({
    resolve: { conditions: ['koker-source'] },
    ssr: { resolve: { conditions: ['koker-source'] } },
    test: { name, include: ['test/**/*.test.ts'], passWithNoTests: true, ...overrides },
  });
}
