/** mount(2) flags koker uses, by name (linux/mount.h). */
export const MountFlag = {
  ro: 0x1,
  nosuid: 0x2,
  nodev: 0x4,
  noexec: 0x8,
  remount: 0x20,
  noatime: 0x400,
  bind: 0x1000,
  move: 0x2000,
  rec: 0x4000,
  private: 0x40000,
  slave: 0x80000,
  shared: 0x100000,
  strictatime: 0x1000000,
} as const;
export type MountFlagName = keyof typeof MountFlag;

/** umount2(2) flags. */
export const UmountFlag = { force: 1, detach: 2, nofollow: 8 } as const;

/** clone(2)/unshare(2)/setns(2) namespace flags. */
export const NamespaceFlag = {
  mount: 0x20000,
  cgroup: 0x2000000,
  uts: 0x4000000,
  ipc: 0x8000000,
  user: 0x10000000,
  pid: 0x20000000,
  net: 0x40000000,
} as const;

export function mountFlags(names: readonly string[]): number {
  let value = 0;
  for (const name of names) {
    const flag = (MountFlag as Record<string, number>)[name];
    if (flag === undefined) throw new RangeError(`unknown mount flag "${name}"`);
    value |= flag;
  }
  return value;
}

/**
 * The system calls koker's TypeScript side makes itself. Only for the calling (main) thread:
 * namespace changes never reach libuv's pool threads, so code between setns and setns back must
 * be synchronous. Drivers take this by injection; tests use a recording fake.
 */
export interface Syscalls {
  mount(source: string, target: string, fstype: string, flags: number, data?: string): void;
  umount(target: string, flags?: number): void;
  unshare(flags: number): void;
  setns(fd: number, nstype: number): void;
}

export const SyscallsToken = Symbol.for('koker.Syscalls');
