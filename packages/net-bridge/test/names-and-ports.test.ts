import { describe, expect, it } from 'vitest';
import { newContainerId, type ContainerId } from '@koker/core';
import { validatePortMappings } from '../src/ports/validate-ports.js';
import { isValidLinkName, vethNameCandidates } from '../src/veth-names.js';

describe('veth names', () => {
  it('fit the 15-byte limit and differ for two containers created in the same second', () => {
    const a = vethNameCandidates(newContainerId());
    const b = vethNameCandidates(newContainerId());
    for (const name of [...a, ...b]) {
      expect(name.length).toBeLessThanOrEqual(15);
      expect(isValidLinkName(name)).toBe(true);
    }
    expect(a[0]).not.toBe(b[0]);
  });

  it('offers later parts of the ID when an earlier name is taken', () => {
    const id = '0123456789abcdef'.repeat(4) as ContainerId;
    expect(vethNameCandidates(id)).toEqual([
      'veth0123456789a',
      'vethbcdef012345',
      'veth6789abcdef0',
      'veth123456789ab',
      'vethcdef0123456',
    ]);
  });

  it('accepts only names the kernel and /proc/sys accept', () => {
    for (const bad of ['', '.', '..', 'a/b', 'has space', 'sixteen-chars-xx'])
      expect(isValidLinkName(bad)).toBe(false);
    expect(isValidLinkName('koker-t1a2b3')).toBe(true);
  });
});

describe('validatePortMappings', () => {
  const port = { hostIp: '0.0.0.0', hostPort: 8080, containerPort: 80, protocol: 'tcp' as const };

  it('accepts valid mappings, host port 0 meaning "pick one"', () => {
    expect(validatePortMappings([port, { ...port, hostPort: 0 }, { ...port, protocol: 'udp' }])).toHaveLength(
      3,
    );
  });

  it.each([
    [{ ...port, hostIp: '::1' }, 'the host address must be IPv4'],
    [{ ...port, hostPort: 70000 }, 'ports are 1 to 65535'],
    [{ ...port, containerPort: 0 }, 'ports are 1 to 65535'],
    [{ ...port, protocol: 'sctp' as 'tcp' }, 'tcp or udp'],
  ])('rejects %o', (mapping, reason) => {
    expect(() => validatePortMappings([mapping])).toThrow(reason);
  });

  it('rejects the same host port published twice', () => {
    expect(() => validatePortMappings([port, { ...port, hostIp: '127.0.0.1', containerPort: 81 }])).toThrow(
      'host port 8080/tcp is published twice',
    );
  });
});
