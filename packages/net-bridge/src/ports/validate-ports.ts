import { isIPv4 } from 'node:net';
import { InvalidValueError, UsageError, type PortMapping } from '@koker/core';
import { claimsOverlap } from '../ipam/lease-table.js';

function isPort(value: number, allowZero: boolean): boolean {
  return Number.isInteger(value) && value <= 65535 && (value >= 1 || (allowZero && value === 0));
}

/** Checks port mappings from any caller (the CLI parses `-p`; a library user may not). */
export function validatePortMappings(ports: readonly PortMapping[]): PortMapping[] {
  const valid = ports.map((port) => {
    const text = `${port.hostIp}:${port.hostPort}:${port.containerPort}/${port.protocol}`;
    if (!isIPv4(port.hostIp))
      throw new InvalidValueError('published port', text, 'the host address must be IPv4');
    if (!isPort(port.hostPort, true) || !isPort(port.containerPort, false))
      throw new InvalidValueError('published port', text, 'ports are 1 to 65535');
    if (port.protocol !== 'tcp' && port.protocol !== 'udp')
      throw new InvalidValueError('published port', text, 'the protocol must be tcp or udp');
    return { ...port };
  });
  valid.forEach((port, index) => {
    if (port.hostPort === 0) return;
    const clash = valid
      .slice(0, index)
      .find((earlier) => earlier.hostPort !== 0 && claimsOverlap(earlier, port));
    if (clash)
      throw new UsageError(
        `host port ${port.hostPort}/${port.protocol} is published twice for this container`,
      );
  });
  return valid;
}
