import { loadLibc } from '@koker/host';

type Fn = (...args: unknown[]) => number;

/** The socket calls netlink needs, bound through koffi. */
export interface LibcNet {
  socket: Fn;
  sendto: Fn;
  recv: Fn;
  close: Fn;
  setsockopt: Fn;
  errno: () => number;
}

let bound: LibcNet | undefined;

export function libcNet(): LibcNet {
  if (bound) return bound;
  const { lib, errno } = loadLibc();
  bound = {
    socket: lib.func('int socket(int domain, int type, int protocol)'),
    sendto: lib.func(
      'long sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t addrlen)',
    ),
    recv: lib.func('long recv(int fd, void *buf, size_t len, int flags)'),
    close: lib.func('int close(int fd)'),
    setsockopt: lib.func('int setsockopt(int fd, int level, int name, const void *value, uint32_t len)'),
    errno,
  };
  return bound;
}
