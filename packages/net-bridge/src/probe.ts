import { existsSync } from 'node:fs';
import { type ProbeContext, type ProbeResult } from '@koker/core';

/** Bridges, veths and network namespaces need root and the kernel's net namespace support. */
export function probe({ host }: ProbeContext): ProbeResult {
  if (!host.isRoot) return { usable: false, reason: 'creating bridges and network namespaces needs root' };
  if (!existsSync('/proc/self/ns/net'))
    return { usable: false, reason: 'the kernel has no network namespaces' };
  return { usable: true };
}
