import { type ProbeContext, type ProbeResult } from '@koker/core';

/** Usable only where the host's cgroup layout is unified. */
export function probe({ host }: ProbeContext): ProbeResult {
  const layout = host.cgroupLayout;
  if (layout.mode !== 'unified')
    return { usable: false, reason: `the host's cgroup layout is ${layout.mode}, not unified` };
  if (!host.isRoot) return { usable: false, reason: 'managing cgroups needs root' };
  return { usable: true, details: { layout: layout.mode } };
}
