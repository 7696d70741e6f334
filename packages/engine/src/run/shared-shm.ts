import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Logger, type Syscalls } from '@koker/core';
import { KoffiSyscalls } from '@koker/host';

const MS_NOSUID = 0x2;
const MS_NODEV = 0x4;
const MS_NOEXEC = 0x8;
const MNT_DETACH = 0x2;

/** Where an `--ipc shareable` container's /dev/shm lives on the host: in its own directory. */
export function shmDirectory(containerDir: string): string {
  return join(containerDir, 'shm');
}

/**
 * `--ipc shareable`: the container's /dev/shm is a tmpfs mounted on the host (as Docker keeps it
 * under the container's directory), so `--ipc container:NAME` can bind the same one: the IPC
 * namespace and POSIX shared memory both shared. Returns the directory to bind at /dev/shm.
 */
export function mountShareableShm(
  containerDir: string,
  size: number,
  log: Logger,
  syscalls: Pick<Syscalls, 'mount'> = new KoffiSyscalls(),
): string {
  const dir = shmDirectory(containerDir);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const data = `mode=1777,size=${Math.ceil(size / 1024)}k`;
  log.debug({ target: dir, data }, 'Mount shareable /dev/shm');
  syscalls.mount('shm', dir, 'tmpfs', MS_NOSUID | MS_NODEV | MS_NOEXEC, data);
  return dir;
}

/** Unmounts a container's shareable /dev/shm (lazily: joined containers keep theirs) and removes its directory. */
export function releaseShm(containerDir: string, log?: Logger, syscalls?: Pick<Syscalls, 'umount'>): void {
  const dir = shmDirectory(containerDir);
  if (!existsSync(dir)) return;
  log?.debug({ target: dir }, 'Unmount shareable /dev/shm');
  try {
    (syscalls ?? new KoffiSyscalls()).umount(dir, MNT_DETACH);
  } catch {
    // Not mounted (a setup that stopped before, or a repeated teardown).
  }
  rmdirSync(dir);
}
