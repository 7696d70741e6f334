import { formatByteSize, type ResourceLimits } from '@koker/core';

/**
 * What koker prints when the memory limit killed a container's process:
 * `container was killed: out of memory (limit 10 MiB)`.
 */
export function describeOom(limits: Pick<ResourceLimits, 'memory'>): string {
  return limits.memory === undefined
    ? 'container was killed: out of memory'
    : `container was killed: out of memory (limit ${formatByteSize(limits.memory)})`;
}

/** The exit code Docker reports for a process killed by SIGKILL (OOM kills included). */
export const OOM_EXIT_CODE = 137;
