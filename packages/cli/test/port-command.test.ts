import { describe, expect, it } from 'vitest';
import { parseContainerPort, portLines } from '../src/commands/container/port.js';

const ports = [
  { hostIp: '0.0.0.0', hostPort: 18080, containerPort: 80, protocol: 'tcp' as const },
  { hostIp: '127.0.0.1', hostPort: 5353, containerPort: 53, protocol: 'udp' as const },
];

describe('koker port', () => {
  it('prints every mapping as Docker does', () => {
    expect(portLines(ports)).toEqual(['80/tcp -> 0.0.0.0:18080', '53/udp -> 127.0.0.1:5353']);
  });

  it('prints only the host side for one container port (tcp unless told)', () => {
    expect(portLines(ports, parseContainerPort('80'))).toEqual(['0.0.0.0:18080']);
    expect(portLines(ports, parseContainerPort('53/UDP'))).toEqual(['127.0.0.1:5353']);
    expect(portLines(ports, parseContainerPort('53'))).toEqual([]);
  });

  it('rejects a port that is not one', () => {
    expect(() => parseContainerPort('http')).toThrow('invalid container port "http"');
    expect(() => parseContainerPort('0')).toThrow('expected PORT or PORT/tcp|udp');
  });
});
