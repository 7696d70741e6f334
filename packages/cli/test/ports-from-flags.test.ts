import { describe, expect, it } from 'vitest';
import { InvalidValueError, UsageError } from '@koker/core';
import { parsePublishFlag, parsePublishFlags } from '../src/run/ports-from-flags.js';

const tcp = (hostIp: string, hostPort: number, containerPort: number) => ({
  hostIp,
  hostPort,
  containerPort,
  protocol: 'tcp',
});

describe('-p / --publish', () => {
  it.each([
    ['80', [tcp('0.0.0.0', 0, 80)]],
    ['18080:80', [tcp('0.0.0.0', 18080, 80)]],
    ['18080:80/tcp', [tcp('0.0.0.0', 18080, 80)]],
    ['127.0.0.1:18080:80', [tcp('127.0.0.1', 18080, 80)]],
    ['127.0.0.1::80', [tcp('127.0.0.1', 0, 80)]],
    ['8000-8001:80-81', [tcp('0.0.0.0', 8000, 80), tcp('0.0.0.0', 8001, 81)]],
    ['90-91', [tcp('0.0.0.0', 0, 90), tcp('0.0.0.0', 0, 91)]],
  ])('parses %s', (flag, expected) => {
    expect(parsePublishFlag(flag)).toEqual(expected);
  });

  it('parses udp, in any case', () => {
    expect(parsePublishFlag('5353:53/UDP')).toEqual([
      { hostIp: '0.0.0.0', hostPort: 5353, containerPort: 53, protocol: 'udp' },
    ]);
  });

  it.each([
    ['', 'is not a port'],
    ['http', 'is not a port'],
    ['0', 'outside 1-65535'],
    ['65536:80', 'outside 1-65535'],
    ['80/sctp', 'protocol "sctp" is not tcp or udp'],
    ['localhost:8080:80', '"localhost" is not an IPv4 address'],
    ['[::1]:8080:80', 'IPv6 host addresses are not supported'],
    ['1:2:3:4', 'too many ":"'],
    ['8000-8002:80-81', 'different lengths'],
    ['81-80', 'ends before it starts'],
    ['8080:', 'is not a port'],
  ])('rejects %j (%s)', (flag, reason) => {
    const attempt = () => parsePublishFlag(flag);
    expect(attempt).toThrow(InvalidValueError);
    expect(attempt).toThrow(reason);
  });

  it('rejects the same host port published twice, on overlapping addresses', () => {
    expect(() => parsePublishFlags(['8080:80', '127.0.0.1:8080:81'])).toThrow(UsageError);
    expect(() => parsePublishFlags(['8080:80', '8080:80/udp'])).not.toThrow();
    expect(() => parsePublishFlags(['127.0.0.1:8080:80', '127.0.0.2:8080:80'])).not.toThrow();
    expect(parsePublishFlags(['80', '80'])).toHaveLength(2); // two random host ports
  });
});
