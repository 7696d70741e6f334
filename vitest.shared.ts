import { fileURLToPath } from 'node:url';
import { defineProject, type ViteUserConfig } from 'vitest/config';

/**
 * The per-package vitest project: unit tests under test/, sources via the `koker-source`
 * condition. Vite's cache goes under the repository's node_modules, not the package's: a
 * package must hold no node_modules of its own (the CLI's `npm pack` refuses one).
 */
export function kokerProject(name: string, overrides: ViteUserConfig['test'] = {}) {
  return defineProject({
    cacheDir: fileURLToPath(new URL(`./node_modules/.vite/${name}`, import.meta.url)),
    resolve: { conditions: ['koker-source'] },
    ssr: { resolve: { conditions: ['koker-source'] } },
    test: { name, include: ['test/**/*.test.ts'], passWithNoTests: true, ...overrides },
  });
}
