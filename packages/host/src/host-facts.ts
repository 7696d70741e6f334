import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import {
  type CgroupLayout,
  detectCgroupLayout,
  type HostView,
  type MountEntry,
  readMountInfo,
} from '@koker/core';

/**
 * Facts about this host that probes and drivers ask for, read once and lazily: a run that never
 * asks for the mount table never reads it.
 */
export class HostFacts implements HostView {
  private mountsCache?: MountEntry[];
  private layoutCache?: CgroupLayout;
  private filesystemsCache?: string[];

  get kernelRelease(): string {
    return release();
  }

  get mounts(): MountEntry[] {
    this.mountsCache ??= readMountInfo();
    return this.mountsCache;
  }

  get cgroupLayout(): CgroupLayout {
    this.layoutCache ??= detectCgroupLayout(this.mounts, readFileSync('/proc/self/cgroup', 'utf8'));
    return this.layoutCache;
  }

  /** Filesystem types the kernel knows now (/proc/filesystems). */
  get filesystems(): string[] {
    this.filesystemsCache ??= readFileSync('/proc/filesystems', 'utf8')
      .split('\n')
      .map((line) => line.split('\t').pop() ?? '')
      .filter(Boolean);
    return this.filesystemsCache;
  }

  get isRoot(): boolean {
    return process.geteuid?.() === 0;
  }
}
