import { type CgroupLayout } from './cgroup-layout.js';
import { type MountEntry } from './mountinfo.js';

/** What probes and drivers may ask about the host: plain values, so tests hand them an object. */
export interface HostView {
  readonly kernelRelease: string;
  readonly mounts: readonly MountEntry[];
  readonly cgroupLayout: CgroupLayout;
  readonly filesystems: readonly string[];
  readonly isRoot: boolean;
}

export const HostToken = Symbol.for('koker.Host');
