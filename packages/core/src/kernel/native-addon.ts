import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `native/build/<file>` of the checkout this code runs from (sources, `dist` and the CLI bundle
 * alike: found by walking up from this module), or `$<envVar>` when set; undefined when it was
 * not built.
 */
export function findNativeFile(file: string, envVar?: string): string | undefined {
  const configured = envVar ? process.env[envVar] : undefined;
  if (configured) return configured;
  const relative = join('native', 'build', file);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  return undefined;
}

/**
 * Loads one of koker's Node-API addons (native/src/addon): each wraps a system call Node lacks,
 * and loads in well under a millisecond where koffi costs ~20 ms of CPU. Undefined when the
 * addon was not built (callers fall back to koffi).
 */
export function loadNativeAddon<T>(file: string, envVar?: string): T | undefined {
  const path = findNativeFile(file, envVar);
  return path ? (createRequire(import.meta.url)(path) as T) : undefined;
}
