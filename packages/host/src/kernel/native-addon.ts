import { createRequire } from 'node:module';
import { findNativeBuild } from '../native-helper.js';

/**
 * Loads one of koker's Node-API addons (native/src/addon, built into `native/build/<file>` of
 * this checkout, or `$<envVar>` when set): each wraps a system call Node lacks, and loads in well
 * under a millisecond where koffi costs ~20 ms of CPU. Undefined when the addon was not built
 * (callers fall back to koffi).
 */
export function loadNativeAddon<T>(file: string, envVar?: string): T | undefined {
  const path = (envVar ? process.env[envVar] : undefined) || findNativeBuild(file);
  return path ? (createRequire(import.meta.url)(path) as T) : undefined;
}
