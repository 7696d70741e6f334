/** Numbers from linux/netlink.h, linux/rtnetlink.h, linux/if_link.h, linux/if_addr.h, linux/veth.h. */

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_NETLINK = 16;
export const SOCK_RAW = 3;
export const SOCK_CLOEXEC = 0x80000;
export const NETLINK_ROUTE = 0;
export const SOL_SOCKET = 1;
export const SO_RCVTIMEO = 20;
export const SOL_NETLINK = 270;
export const NETLINK_EXT_ACK = 11;

export const NLMSG_HDRLEN = 16;
export const NLA_HDRLEN = 4;

export const NlmsgType = { error: 2, done: 3 } as const;

export const NlmFlag = {
  request: 0x1,
  multi: 0x2,
  ack: 0x4,
  dump: 0x300,
  replace: 0x100,
  excl: 0x200,
  create: 0x400,
  /** On an error message: only the header of the request is echoed back. */
  capped: 0x100,
  /** On an error message: extended-ack attributes follow. */
  ackTlvs: 0x200,
} as const;

export const RtmType = {
  newLink: 16,
  delLink: 17,
  getLink: 18,
  newAddr: 20,
  getAddr: 22,
  newRoute: 24,
  getRoute: 26,
} as const;

/** struct ifinfomsg: family, pad, type, index, flags, change. */
export const IFINFOMSG_LEN = 16;
/** struct ifaddrmsg: family, prefixlen, flags, scope, index. */
export const IFADDRMSG_LEN = 8;
/** struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags. */
export const RTMSG_LEN = 12;

export const IFF_UP = 0x1;

export const Ifla = {
  address: 1,
  ifname: 3,
  mtu: 4,
  master: 10,
  linkinfo: 18,
  netNsFd: 28,
} as const;

export const IflaInfo = { kind: 1, data: 2 } as const;
export const VETH_INFO_PEER = 1;

export const Ifa = { address: 1, local: 2, broadcast: 4 } as const;

export const Rta = { dst: 1, oif: 4, gateway: 5, table: 15 } as const;

export const RT_TABLE_MAIN = 254;
export const RTPROT_BOOT = 3;
export const RT_SCOPE_UNIVERSE = 0;
export const RTN_UNICAST = 1;

/** Extended ack attributes (linux/netlink.h). */
export const NLMSGERR_ATTR_MSG = 1;
