import { type ProbeContext, type ProbeResult } from '@koker/core';

/** The copy driver needs only root (owners, device nodes, the bind mount). */
export function probeCopy({ host }: ProbeContext): ProbeResult {
  if (!host.isRoot)
    return { usable: false, reason: 'copying layers with their owners and devices needs root' };
  return { usable: true, details: { note: 'full copy per container: slow to start, heavy on disk' } };
}
