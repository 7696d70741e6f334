import { InvalidValueError } from '@koker/core';

/** Linux capabilities by bit number (linux/capability.h), without the CAP_ prefix. */
export const CAPABILITIES = [
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'NET_RAW',
  'IPC_LOCK',
  'IPC_OWNER',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_CHROOT',
  'SYS_PTRACE',
  'SYS_PACCT',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_NICE',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'MKNOD',
  'LEASE',
  'AUDIT_WRITE',
  'AUDIT_CONTROL',
  'SETFCAP',
  'MAC_OVERRIDE',
  'MAC_ADMIN',
  'SYSLOG',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
  'AUDIT_READ',
  'PERFMON',
  'BPF',
  'CHECKPOINT_RESTORE',
] as const;

/** Docker's default set: what a container's root keeps (CapEff 00000000a80425fb). */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FSETID',
  'FOWNER',
  'MKNOD',
  'NET_RAW',
  'SETGID',
  'SETUID',
  'SETFCAP',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'SYS_CHROOT',
  'KILL',
  'AUDIT_WRITE',
];

/** `cap_net_admin`, `CAP_NET_ADMIN`, `net_admin` -> `NET_ADMIN`; `all` -> `ALL`. */
export function normalizeCapability(input: string): string {
  const name = input.trim().toUpperCase().replace(/^CAP_/, '');
  if (name === 'ALL' || (CAPABILITIES as readonly string[]).includes(name)) return name;
  throw new InvalidValueError('capability', input, 'unknown capability', {
    hint: 'use a name from capabilities(7), with or without CAP_, or ALL',
  });
}

/** Every capability this kernel knows (`/proc/sys/kernel/cap_last_cap`). */
export function allCapabilities(lastCap: number = CAPABILITIES.length - 1): string[] {
  return CAPABILITIES.slice(0, Math.min(lastCap, CAPABILITIES.length - 1) + 1);
}

/**
 * The bounding set from Docker's flags, with Docker's rules: `--privileged` gives all;
 * `--cap-add ALL` gives all but the dropped; `--cap-drop ALL` keeps only the added;
 * otherwise the defaults minus the dropped plus the added. "All" is what koker itself may give
 * (`available`: its own bounding set); asking for more is an error, not a failed capset.
 */
export function resolveCapabilities(options: {
  add?: readonly string[];
  drop?: readonly string[];
  privileged?: boolean;
  available?: readonly string[];
}): string[] {
  const all = options.available ?? allCapabilities();
  if (options.privileged) return CAPABILITIES.filter((c) => all.includes(c));
  const add = (options.add ?? []).map(normalizeCapability);
  const drop = (options.drop ?? []).map(normalizeCapability);
  let result: string[];
  if (add.includes('ALL')) result = all.filter((c) => !drop.includes(c));
  else if (drop.includes('ALL')) result = add;
  else result = [...DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c)), ...add];
  const missing = result.filter((c) => !all.includes(c));
  if (missing.length > 0) {
    throw new InvalidValueError('capability', missing.join(','), 'koker itself does not have it to give', {
      hint: "koker's own bounding set (CapBnd in /proc/self/status) lacks it: drop it from --cap-add",
    });
  }
  return CAPABILITIES.filter((c) => result.includes(c));
}

/** Capability names -> the 64-bit mask the kernel shows (CapEff in /proc/PID/status). */
export function capabilityMask(names: readonly string[]): bigint {
  let mask = 0n;
  for (const name of names) {
    const bit = (CAPABILITIES as readonly string[]).indexOf(name);
    if (bit < 0) throw new InvalidValueError('capability', name, 'unknown capability');
    mask |= 1n << BigInt(bit);
  }
  return mask;
}

/** A mask back to names, lowest bit first. */
export function capabilityNames(mask: bigint): string[] {
  return CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}
