import { loadLibc } from './koffi-syscalls.js';
import { loadNativeAddon } from './native-addon.js';
import { SyscallError } from '@koker/core';

const ENODATA = 61;
const ENOTSUP = 95;

/** lgetxattr(path, name) -> the value, null when unset, or -errno. */
type Lgetxattr = (path: string, name: string) => Buffer | null | number;
let call: Lgetxattr | undefined;

function lgetxattrCall(): Lgetxattr {
  if (call) return call;
  const addon = loadNativeAddon<{ lgetxattr: Lgetxattr }>('koker-xattr.node', 'KOKER_XATTR_ADDON');
  if (addon) {
    call = addon.lgetxattr;
    return call;
  }
  const { lib, errno } = loadLibc();
  const raw = lib.func(
    'long lgetxattr(const char *path, const char *name, _Out_ uint8_t *value, size_t size)',
  );
  call = (path, name) => {
    const buffer = Buffer.alloc(4096);
    const n = Number(raw(path, name, buffer, buffer.length));
    if (n >= 0) return buffer.subarray(0, n);
    const e = errno();
    return e === ENODATA || e === ENOTSUP ? null : -e;
  };
  return call;
}

/**
 * An extended attribute of `path` itself (a symlink is not followed), or undefined when it is not
 * set. From koker's addon (native/build/koker-xattr.node), else through koffi.
 */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  const result = lgetxattrCall()(path, name);
  if (result === null) return undefined;
  if (typeof result === 'number') throw new SyscallError('lgetxattr', -result, `${path}, ${name}`);
  return result;
}
