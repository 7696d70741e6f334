import { createRequire } from 'node:module';
import { HostError, SyscallError, type Syscalls } from '@koker/core';

// koffi is loaded on first use only: commands that make no system call never pay for it.
type KoffiFn = (...args: unknown[]) => number;
interface Libc {
  mount: KoffiFn;
  umount2: KoffiFn;
  unshare: KoffiFn;
  setns: KoffiFn;
  errno: () => number;
}

let libc: Libc | undefined;

/**
 * The C library through koffi, for bindings beyond this class (the layer applier's *at calls,
 * bpf(2) through syscall(2)); `address` is where a Buffer's bytes are, for structs that point.
 */
export function loadLibc(): {
  lib: { func: (signature: string) => KoffiFn };
  errno: () => number;
  address: (buffer: Buffer) => bigint;
} {
  const require = createRequire(import.meta.url);
  let koffi: {
    load: (name: string) => { func: (s: string) => KoffiFn };
    errno: () => number;
    address: (value: unknown) => bigint;
  };
  try {
    koffi = require('koffi');
  } catch (error) {
    throw new HostError('cannot load koffi, needed for system calls', {
      cause: error,
      hint: 'run `npm ci` without --omit=optional so that koffi and its prebuilt binary are installed',
    });
  }
  return {
    lib: koffi.load('libc.so.6'),
    errno: () => koffi.errno(),
    address: (buffer) => koffi.address(buffer),
  };
}

function bind(): Libc {
  if (libc) return libc;
  const { lib, errno } = loadLibc();
  libc = {
    mount: lib.func(
      'int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)',
    ),
    umount2: lib.func('int umount2(const char *target, int flags)'),
    unshare: lib.func('int unshare(int flags)'),
    setns: lib.func('int setns(int fd, int nstype)'),
    errno,
  };
  return libc;
}

export class KoffiSyscalls implements Syscalls {
  mount(source: string, target: string, fstype: string, flags: number, data?: string): void {
    const c = bind();
    if (c.mount(source, target, fstype, flags, data ?? null) !== 0) {
      throw new SyscallError(
        'mount',
        c.errno(),
        `${source}, ${target}, ${fstype}, 0x${flags.toString(16)}${data ? `, ${data}` : ''}`,
      );
    }
  }

  umount(target: string, flags = 0): void {
    const c = bind();
    if (c.umount2(target, flags) !== 0) throw new SyscallError('umount2', c.errno(), `${target}, ${flags}`);
  }

  unshare(flags: number): void {
    const c = bind();
    if (c.unshare(flags) !== 0) throw new SyscallError('unshare', c.errno(), `0x${flags.toString(16)}`);
  }

  setns(fd: number, nstype: number): void {
    const c = bind();
    if (c.setns(fd, nstype) !== 0)
      throw new SyscallError('setns', c.errno(), `${fd}, 0x${nstype.toString(16)}`);
  }
}
