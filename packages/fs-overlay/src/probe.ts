import { type ProbeContext, type ProbeResult } from '@koker/core';

/** overlayfs must be known to the kernel (built in, or its module loaded). */
export function probe({ host }: ProbeContext): ProbeResult {
  if (!host.filesystems.includes('overlay')) {
    return {
      usable: false,
      reason: 'the kernel does not list overlay in /proc/filesystems (try: modprobe overlay)',
    };
  }
  if (!host.isRoot) return { usable: false, reason: 'mounting overlayfs needs root' };
  return { usable: true };
}
