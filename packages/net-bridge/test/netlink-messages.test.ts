import { describe, expect, it } from 'vitest';
import { IFINFOMSG_LEN, Ifla, IflaInfo, NlmFlag, RtmType, VETH_INFO_PEER } from '../src/netlink/constants.js';
import {
  encodeMessage,
  parseAttributes,
  parseMessages,
  readCString,
  readU32,
  u32,
  attr,
  cString,
} from '../src/netlink/message.js';
import { decodeAddress, decodeLink, decodeRoute } from '../src/netlink/route-replies.js';
import * as request from '../src/netlink/route-messages.js';

describe('rtnetlink requests', () => {
  it('encodes `ip link show NAME` byte for byte', () => {
    const bytes = request.getLinkByName(7, 'eth0');
    // nlmsghdr(16) + ifinfomsg(16) + attribute IFLA_IFNAME "eth0\0" (4 + 5, padded to 12)
    expect(bytes.length).toBe(44);
    expect(bytes.toString('hex')).toBe(
      [
        '2c000000', // length 44
        '1200', // RTM_GETLINK
        '0500', // NLM_F_REQUEST | NLM_F_ACK
        '07000000', // seq
        '00000000', // port id: the kernel's
        '00000000000000000000000000000000', // ifinfomsg: AF_UNSPEC, index 0, no flags
        '0900', // attribute length 9
        '0300', // IFLA_IFNAME
        '6574683000', // "eth0\0"
        '000000', // padding to 4
      ].join(''),
    );
  });

  it('describes a veth peer as a whole ifinfomsg inside VETH_INFO_PEER, born in a namespace', () => {
    const [message] = parseMessages(request.newVethPair(1, 'vethabc', { name: 'eth0', netnsFd: 23 }, 1400));
    expect(message?.type).toBe(RtmType.newLink);
    expect(message?.flags).toBe(NlmFlag.request | NlmFlag.ack | NlmFlag.create | NlmFlag.excl);
    const top = parseAttributes((message?.payload as Buffer).subarray(IFINFOMSG_LEN));
    expect(readCString(top.get(Ifla.ifname) as Buffer)).toBe('vethabc');
    expect(readU32(top.get(Ifla.mtu) as Buffer, 0)).toBe(1400);
    const linkinfo = parseAttributes(top.get(Ifla.linkinfo) as Buffer);
    expect(readCString(linkinfo.get(IflaInfo.kind) as Buffer)).toBe('veth');
    const peer = parseAttributes(linkinfo.get(IflaInfo.data) as Buffer).get(VETH_INFO_PEER) as Buffer;
    const peerAttributes = parseAttributes(peer.subarray(IFINFOMSG_LEN));
    expect(readCString(peerAttributes.get(Ifla.ifname) as Buffer)).toBe('eth0');
    expect(readU32(peerAttributes.get(Ifla.mtu) as Buffer, 0)).toBe(1400);
    expect(readU32(peerAttributes.get(Ifla.netNsFd) as Buffer, 0)).toBe(23);
  });

  it('sets a link up by flag and change mask, and adds addresses in network byte order', () => {
    const [up] = parseMessages(request.setUp(2, 42));
    expect(up?.payload.subarray(4, 16).toString('hex')).toBe('2a000000' + '01000000' + '01000000');
    const [address] = parseMessages(
      request.newAddress(3, 5, { ip: '10.69.0.2', prefixLength: 16, broadcast: '10.69.255.255' }),
    );
    expect(address?.payload.subarray(0, 8).toString('hex')).toBe('02100000' + '05000000');
    const attributes = parseAttributes((address?.payload as Buffer).subarray(8));
    expect((attributes.get(2) as Buffer).toString('hex')).toBe('0a450002');
    expect((attributes.get(4) as Buffer).toString('hex')).toBe('0a45ffff');
  });

  it('adds the default route in the main table, via a gateway, out of one link', () => {
    const [route] = parseMessages(request.newDefaultRoute(4, '10.69.0.1', 9));
    // family AF_INET, dst_len 0, src_len 0, tos 0, table main, proto boot, scope universe, unicast
    expect(route?.payload.subarray(0, 8).toString('hex')).toBe('020000' + '00' + 'fe' + '03' + '00' + '01');
    const attributes = parseAttributes((route?.payload as Buffer).subarray(12));
    expect((attributes.get(5) as Buffer).toString('hex')).toBe('0a450001');
    expect(readU32(attributes.get(4) as Buffer, 0)).toBe(9);
  });
});

describe('rtnetlink replies', () => {
  it('decodes a link: index, name, MTU, master and kind', () => {
    const header = Buffer.alloc(IFINFOMSG_LEN);
    header.writeInt32LE(12, 4);
    header.writeUInt32LE(0x1003, 8);
    const message = encodeMessage({
      type: RtmType.newLink,
      flags: 0,
      seq: 1,
      header,
      attributes: [
        attr(Ifla.ifname, cString('koker0')),
        attr(Ifla.mtu, u32(1400)),
        attr(Ifla.master, u32(3)),
        attr(Ifla.linkinfo, [attr(IflaInfo.kind, cString('bridge'))]),
      ],
    });
    const [parsed] = parseMessages(message);
    expect(decodeLink(parsed as never)).toEqual({
      index: 12,
      flags: 0x1003,
      name: 'koker0',
      mtu: 1400,
      master: 3,
      kind: 'bridge',
    });
  });

  it('decodes IPv4 addresses and routes, and skips other families', () => {
    const address = parseMessages(
      encodeMessage({
        type: RtmType.newAddr,
        flags: 0,
        seq: 1,
        header: Buffer.from([2, 24, 0, 0, 7, 0, 0, 0]),
        attributes: [attr(2, Buffer.from([192, 0, 2, 2]))],
      }),
    )[0];
    expect(decodeAddress(address as never)).toEqual({ index: 7, address: '192.0.2.2', prefixLength: 24 });
    const ipv6 = parseMessages(
      encodeMessage({
        type: RtmType.newAddr,
        flags: 0,
        seq: 1,
        header: Buffer.from([10, 64, 0, 0, 7, 0, 0, 0]),
      }),
    )[0];
    expect(decodeAddress(ipv6 as never)).toBeUndefined();
    const route = parseMessages(
      encodeMessage({
        type: RtmType.newRoute,
        flags: 0,
        seq: 1,
        header: Buffer.from([2, 24, 0, 0, 254, 2, 253, 1, 0, 0, 0, 0]),
        attributes: [attr(1, Buffer.from([192, 0, 2, 0])), attr(4, u32(4))],
      }),
    )[0];
    expect(decodeRoute(route as never)).toEqual({
      table: 254,
      destination: '192.0.2.0',
      prefixLength: 24,
      outputIndex: 4,
    });
  });

  it('stops at a truncated message instead of reading past the datagram', () => {
    const whole = request.getLinkByName(1, 'lo');
    expect(parseMessages(Buffer.concat([whole, whole.subarray(0, 20)]))).toHaveLength(1);
  });
});
