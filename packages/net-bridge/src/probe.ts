import { existsSync } from 'node:fs';
import { type ProbeContext, type ProbeResult } from '@koker/core';
import { detectIptables } from './iptables/iptables-tools.js';

/**
 * Bridges, veths and network namespaces need root and the kernel's net namespace support; NAT
 * and published ports need iptables (reported, not required: `--network none|host` work without).
 */
export function probe({ host }: ProbeContext): ProbeResult {
  if (!host.isRoot) return { usable: false, reason: 'creating bridges and network namespaces needs root' };
  if (!existsSync('/proc/self/ns/net'))
    return { usable: false, reason: 'the kernel has no network namespaces' };
  let iptables: string;
  try {
    iptables = detectIptables().variant;
  } catch {
    iptables = 'missing (bridge mode unavailable)';
  }
  return { usable: true, details: { iptables } };
}
