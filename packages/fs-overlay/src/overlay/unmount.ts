import { readMountInfo, SyscallError, UmountFlag, type Logger, type Syscalls } from '@koker/core';

/** Mount points at or beneath `dir`, deepest first (as they must be unmounted). */
export function mountsUnder(dir: string): string[] {
  return readMountInfo()
    .map((m) => m.mountPoint)
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/**
 * Unmounts `target`; when it is busy (a process still has it open or as its cwd), detaches it
 * lazily (MNT_DETACH): it disappears from the tree now and the kernel frees it when unused.
 * Returns false if it was not mounted.
 */
export function unmount(target: string, { log, syscalls }: { log: Logger; syscalls: Syscalls }): boolean {
  log.debug({ target }, 'Unmount target');
  try {
    syscalls.umount(target, 0);
    return true;
  } catch (error) {
    if (!(error instanceof SyscallError)) throw error;
    if (error.errnoName === 'EINVAL' || error.errnoName === 'ENOENT') return false;
    if (error.errnoName !== 'EBUSY') throw error;
  }
  log.debug({ target }, 'Unmount target lazily (busy)');
  syscalls.umount(target, UmountFlag.detach);
  return true;
}

/** Unmounts everything at or beneath `dir` (deepest first, a stacked mount in more passes). */
export function unmountUnder(dir: string, deps: { log: Logger; syscalls: Syscalls }): void {
  for (let pass = 0; pass < 8; pass++) {
    const mounts = mountsUnder(dir);
    if (mounts.length === 0) return;
    for (const target of mounts) unmount(target, deps);
  }
}
