import { type CgroupMode, type ProbeContext, type ProbeResult } from '@koker/core';

/** A cgroup driver's probe: usable as root on a host whose cgroup layout is `mode`, and only there. */
export function layoutProbe(mode: CgroupMode): (context: ProbeContext) => ProbeResult {
  return ({ host }) => {
    const layout = host.cgroupLayout;
    if (layout.mode !== mode)
      return { usable: false, reason: `the host's cgroup layout is ${layout.mode}, not ${mode}` };
    if (!host.isRoot) return { usable: false, reason: 'managing cgroups needs root' };
    return { usable: true, details: { layout: layout.mode } };
  };
}
