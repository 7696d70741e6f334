import { isIPv4 } from 'node:net';
import { InvalidValueError, UsageError, type PortMapping, type PortProtocol } from '@koker/core';

/** Every host address: what `-p 8080:80` publishes on. */
export const ALL_ADDRESSES = '0.0.0.0';

interface PortRange {
  readonly first: number;
  readonly count: number;
}

function invalid(flag: string, reason: string): InvalidValueError {
  return new InvalidValueError('published port (-p)', flag, reason, {
    hint: 'use [IP:][HOST_PORT:]CONTAINER_PORT[/tcp|udp], e.g. 8080:80, 127.0.0.1:8080:80/tcp or 80',
  });
}

function parseRange(text: string, flag: string, allowEmpty: boolean): PortRange | undefined {
  if (text === '' && allowEmpty) return undefined;
  const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (!match) throw invalid(flag, `"${text}" is not a port or a port range`);
  const first = Number(match[1]);
  const last = match[2] === undefined ? first : Number(match[2]);
  for (const port of [first, last])
    if (port < 1 || port > 65535) throw invalid(flag, `port ${port} is outside 1-65535`);
  if (last < first) throw invalid(flag, `the range ${text} ends before it starts`);
  return { first, count: last - first + 1 };
}

/** One `-p` value, Docker's syntax: `[IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTOCOL]`. */
export function parsePublishFlag(flag: string): PortMapping[] {
  let rest = flag.trim();
  let protocol: PortProtocol = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash !== -1) {
    const name = rest.slice(slash + 1).toLowerCase();
    if (name !== 'tcp' && name !== 'udp') throw invalid(flag, `protocol "${name}" is not tcp or udp`);
    protocol = name;
    rest = rest.slice(0, slash);
  }
  if (rest.startsWith('['))
    throw invalid(flag, 'IPv6 host addresses are not supported (koker networks are IPv4)');
  const parts = rest.split(':');
  if (parts.length > 3) throw invalid(flag, 'too many ":"');
  const containerText = parts[parts.length - 1] as string;
  const hostText = parts.length >= 2 ? (parts[parts.length - 2] as string) : '';
  const hostIp = parts.length === 3 ? (parts[0] as string) : ALL_ADDRESSES;
  if (!isIPv4(hostIp)) throw invalid(flag, `"${hostIp}" is not an IPv4 address`);
  const container = parseRange(containerText, flag, false) as PortRange;
  const host = parseRange(hostText, flag, true);
  if (host && host.count !== container.count)
    throw invalid(flag, 'the host and container port ranges have different lengths');
  return Array.from({ length: container.count }, (_, i) => ({
    hostIp,
    hostPort: host ? host.first + i : 0, // 0: the driver picks a free host port
    containerPort: container.first + i,
    protocol,
  }));
}

/** Every `-p` of a `koker run`, in order; the same host port twice is a usage error. */
export function parsePublishFlags(flags: readonly string[]): PortMapping[] {
  const mappings = flags.flatMap(parsePublishFlag);
  const fixed = mappings.filter((m) => m.hostPort !== 0);
  fixed.forEach((mapping, index) => {
    const clash = fixed
      .slice(0, index)
      .some(
        (earlier) =>
          earlier.hostPort === mapping.hostPort &&
          earlier.protocol === mapping.protocol &&
          (earlier.hostIp === mapping.hostIp ||
            earlier.hostIp === ALL_ADDRESSES ||
            mapping.hostIp === ALL_ADDRESSES),
      );
    if (clash)
      throw new UsageError(`host port ${mapping.hostPort}/${mapping.protocol} is published twice (-p)`);
  });
  return mappings;
}
