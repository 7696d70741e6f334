import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HostError } from '@koker/core';

/**
 * `native/build/<file>` of the checkout this code runs from, found by walking up from this module
 * (sources, dist and the CLI bundle alike), or undefined when it is not built.
 */
export function findNativeBuild(file: string, from: string = import.meta.url): string | undefined {
  const relative = join('native', 'build', file);
  let dir = dirname(fileURLToPath(from));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  return undefined;
}

/** Where koker-init is: the configured path, else `native/build/koker-init` of this checkout. */
export function nativeHelperPath(configured?: string, from: string = import.meta.url): string {
  if (configured) return configured;
  const found = findNativeBuild('koker-init', from);
  if (found) return found;
  throw new HostError('cannot find the native helper koker-init', {
    hint: 'build it (npm run build, or make in native/), or set nativeHelper in the config or KOKER_NATIVE_HELPER',
  });
}
