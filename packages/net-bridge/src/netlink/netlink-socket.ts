import { endianness } from 'node:os';
import { SyscallError } from '@koker/core';
import {
  AF_NETLINK,
  NETLINK_EXT_ACK,
  NETLINK_ROUTE,
  NLMSGERR_ATTR_MSG,
  NLMSG_HDRLEN,
  NlmFlag,
  NlmsgType,
  SOCK_CLOEXEC,
  SOCK_RAW,
  SOL_NETLINK,
  SOL_SOCKET,
  SO_RCVTIMEO,
} from './constants.js';
import { libcNet } from './libc-net.js';
import {
  align4,
  parseAttributes,
  parseMessages,
  readCString,
  readI32,
  readU32,
  u32,
  type NetlinkMessage,
} from './message.js';
import { NetlinkError } from './netlink-error.js';

const KERNEL = (() => {
  const address = Buffer.alloc(12); // struct sockaddr_nl: family, pad, pid 0 (the kernel), groups 0
  address.writeUInt16LE(AF_NETLINK, 0);
  return address;
})();
const RECEIVE_BUFFER = 64 * 1024;
const TIMEOUT_SECONDS = 10;

/**
 * A NETLINK_ROUTE socket. It belongs to the network namespace of the thread that opened it, for
 * good: open one inside a container's namespace, step back out, and keep configuring that
 * namespace from the host. Calls are synchronous (the kernel answers rtnetlink at once).
 */
export class NetlinkSocket {
  private seq = 0;
  private readonly buffer = Buffer.alloc(RECEIVE_BUFFER);
  private closed = false;

  private constructor(private readonly fd: number) {}

  /** Opens a socket in the calling thread's current network namespace. */
  static open(): NetlinkSocket {
    const c = libcNet();
    const fd = c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) throw new SyscallError('socket', c.errno(), 'AF_NETLINK, SOCK_RAW, NETLINK_ROUTE');
    // Best effort: the kernel then says why a request failed, not only the errno.
    c.setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, u32(1), 4);
    const timeout = Buffer.alloc(16); // struct timeval: a dead kernel answer must not hang koker
    if (endianness() === 'LE') timeout.writeBigInt64LE(BigInt(TIMEOUT_SECONDS), 0);
    else timeout.writeBigInt64BE(BigInt(TIMEOUT_SECONDS), 0);
    c.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeout, timeout.length);
    return new NetlinkSocket(fd);
  }

  /** Sends a request and returns the messages it brought back, up to its ACK or end of dump. */
  request(step: string, build: (seq: number) => Buffer): NetlinkMessage[] {
    if (this.closed) throw new Error('netlink socket used after close');
    const c = libcNet();
    const seq = ++this.seq;
    const message = build(seq);
    if (c.sendto(this.fd, message, message.length, 0, KERNEL, KERNEL.length) < 0)
      throw new SyscallError('sendto', c.errno(), `netlink ${step}`);
    const replies: NetlinkMessage[] = [];
    for (;;) {
      const received = c.recv(this.fd, this.buffer, this.buffer.length, 0);
      if (received < 0) throw new SyscallError('recv', c.errno(), `netlink ${step}`);
      for (const reply of parseMessages(this.buffer.subarray(0, received))) {
        if (reply.seq !== seq) continue; // a late answer to an earlier request
        if (reply.type === NlmsgType.error) {
          const errno = -readI32(reply.payload, 0);
          if (errno !== 0) throw new NetlinkError(step, errno, extendedAckMessage(reply));
          return replies;
        }
        if (reply.type === NlmsgType.done) {
          const errno = reply.payload.length >= 4 ? -readI32(reply.payload, 0) : 0;
          if (errno > 0) throw new NetlinkError(step, errno);
          return replies;
        }
        replies.push({ ...reply, payload: Buffer.from(reply.payload) });
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    libcNet().close(this.fd);
  }
}

/** The kernel's text in an error message's extended-ack attributes, if any. */
function extendedAckMessage(reply: NetlinkMessage): string | undefined {
  if ((reply.flags & NlmFlag.ackTlvs) === 0 || reply.payload.length < 4 + NLMSG_HDRLEN) return undefined;
  const echoedLength = reply.flags & NlmFlag.capped ? NLMSG_HDRLEN : readU32(reply.payload, 4);
  const text = parseAttributes(reply.payload.subarray(4 + align4(echoedLength))).get(NLMSGERR_ATTR_MSG);
  return text ? readCString(text) : undefined;
}
