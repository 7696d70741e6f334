import { existsSync, readFileSync } from 'node:fs';
import { type CgroupLayout, detectCgroupLayout, readMountInfo } from '@koker/core';
import { capabilityNames } from '../launch/capabilities.js';

/** Facts about the host a plan depends on; read from /proc unless given (tests). */
export interface RunHost {
  readonly cgroupNamespace: boolean;
  /** The capabilities koker may give: its own bounding set. */
  readonly capabilities: () => string[];
  /** How the host mounts cgroups: what the container's /sys/fs/cgroup shows. */
  readonly cgroupLayout?: () => CgroupLayout;
}

export const procHost: RunHost = {
  cgroupNamespace: existsSync('/proc/self/ns/cgroup'),
  capabilities: () => {
    const line = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return capabilityNames(BigInt(`0x${line?.[1] ?? '0'}`));
  },
  cgroupLayout: () => detectCgroupLayout(readMountInfo(), readFileSync('/proc/self/cgroup', 'utf8')),
};
