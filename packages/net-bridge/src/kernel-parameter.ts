import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Logger } from '@koker/core';

/**
 * Sets a sysctl under /proc/sys if it differs, logged as a step. The key is given as segments so
 * that an interface name with a dot (`br.0`) stays one segment.
 */
export function setKernelParameter(segments: readonly string[], value: string, log: Logger): void {
  const path = join('/proc/sys', ...segments);
  const key = segments.join('.');
  if (readFileSync(path, 'utf8').trim() === value) return;
  log.debug({ key, value }, 'Set kernel parameter');
  writeFileSync(path, `${value}\n`);
}
