import { closeSync, mkdirSync, openSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  HostError,
  MountFlag,
  NamespaceFlag,
  SyscallError,
  UmountFlag,
  type Logger,
  type Syscalls,
} from '@koker/core';

const EINVAL = 22;
const ENOENT = 2;

/**
 * Network namespaces kept alive as bind-mounted files (what `ip netns add` does). Everything here
 * is synchronous on purpose: `unshare`/`setns` move only the calling (main) thread, so no other
 * code may run until it is back in the host's namespace.
 */
export class NetnsFiles {
  constructor(
    private readonly syscalls: Syscalls,
    private readonly log: Logger,
  ) {}

  /**
   * Makes a new network namespace, pins it on `path`, and runs `inside` (synchronous) while the
   * calling thread is in it: sockets opened there stay bound to the new namespace.
   */
  create<T>(path: string, inside: () => T): T {
    this.log.debug({ netns: path }, 'Mount new network namespace');
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, '', { flag: 'wx', mode: 0o444 });
    const host = openSync('/proc/thread-self/ns/net', 'r');
    try {
      this.log.debug({ netns: path }, 'Call syscall unshare CLONE_NEWNET');
      this.syscalls.unshare(NamespaceFlag.net);
      try {
        this.log.debug({ source: '/proc/thread-self/ns/net', target: path }, 'Mount target');
        this.syscalls.mount('/proc/thread-self/ns/net', path, '', MountFlag.bind);
        return inside();
      } finally {
        this.returnTo(host, path);
      }
    } catch (error) {
      this.remove(path);
      throw error;
    } finally {
      closeSync(host);
    }
  }

  /** Runs `inside` (synchronous) with the calling thread in the namespace pinned at `path`. */
  enter<T>(path: string, inside: () => T): T {
    const host = openSync('/proc/thread-self/ns/net', 'r');
    try {
      const target = openSync(path, 'r');
      try {
        this.log.debug({ netns: path }, 'Set network namespace by file');
        this.syscalls.setns(target, NamespaceFlag.net);
      } finally {
        closeSync(target);
      }
      try {
        return inside();
      } finally {
        this.returnTo(host, path);
      }
    } finally {
      closeSync(host);
    }
  }

  /** An open descriptor of the namespace, for moving links into it; the caller closes it. */
  open(path: string): number {
    return openSync(path, 'r');
  }

  /** Whether a live namespace is mounted on `path` (not just an empty file left behind). */
  isPinned(path: string): boolean {
    try {
      return statSync(path).dev === statSync('/proc/thread-self/ns/net').dev;
    } catch {
      return false;
    }
  }

  /** Unmounts and deletes `path`; a missing mount or file is fine. */
  remove(path: string): void {
    this.log.debug({ source: '/proc/thread-self/ns/net', target: path }, 'Unmount target');
    try {
      this.syscalls.umount(path, UmountFlag.detach);
    } catch (error) {
      if (!(error instanceof SyscallError) || (error.errno !== EINVAL && error.errno !== ENOENT)) throw error;
    }
    this.removeFile(path);
  }

  private removeFile(path: string): void {
    try {
      unlinkSync(path);
      this.log.debug({ netns: path }, "Remove container's network namespace");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  private returnTo(hostFd: number, path: string): void {
    try {
      this.syscalls.setns(hostFd, NamespaceFlag.net);
      this.log.debug({ netns: path }, 'Set network namespace back to the host');
    } catch (error) {
      // Staying in the container's namespace would misconfigure everything after: stop here.
      throw new HostError('cannot return to the host network namespace', { cause: error });
    }
  }
}
