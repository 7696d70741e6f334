import { type DeviceMapping, type DeviceRule } from '@koker/core';

const rwm = (type: 'b' | 'c', major: number | undefined, minor: number | undefined): DeviceRule => ({
  allow: true,
  type,
  ...(major !== undefined ? { major } : {}),
  ...(minor !== undefined ? { minor } : {}),
  access: 'rwm',
});

/**
 * Docker's default device policy (moby denies all, runc adds its allow list): any node may be
 * made (`m`), so images and mknod keep working, but only these can be opened: null, zero, full,
 * random, urandom, tty, console, ptmx, the pty slaves and tun/tap. A block device, or the host's
 * disk behind a node an image ships, stays unusable even for root with CAP_MKNOD.
 */
export const DEFAULT_DEVICE_RULES: readonly DeviceRule[] = [
  { allow: false, type: 'a', access: 'rwm' },
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'b', access: 'm' },
  rwm('c', 1, 3), // /dev/null
  rwm('c', 1, 5), // /dev/zero
  rwm('c', 1, 7), // /dev/full
  rwm('c', 1, 8), // /dev/random
  rwm('c', 1, 9), // /dev/urandom
  rwm('c', 5, 0), // /dev/tty
  rwm('c', 5, 1), // /dev/console
  rwm('c', 5, 2), // /dev/ptmx
  rwm('c', 136, undefined), // /dev/pts/*
  rwm('c', 10, 200), // /dev/net/tun
];

/** `--privileged`: every device, as Docker gives it. */
export const PRIVILEGED_DEVICE_RULES: readonly DeviceRule[] = [{ allow: true, type: 'a', access: 'rwm' }];

/**
 * The device policy of a container, from its flags: each `--device` allowed with its
 * permissions, then the `--device-cgroup-rule`s, after the defaults.
 */
export function devicePolicy(options: {
  privileged: boolean;
  devices?: readonly DeviceMapping[];
  extraRules?: readonly DeviceRule[];
}): readonly DeviceRule[] {
  if (options.privileged) return PRIVILEGED_DEVICE_RULES;
  const extra = [
    ...(options.devices ?? []).map(({ node, access }): DeviceRule => ({
      allow: true,
      type: node.type,
      major: node.major,
      minor: node.minor,
      access,
    })),
    ...(options.extraRules ?? []),
  ];
  return extra.length > 0 ? [...DEFAULT_DEVICE_RULES, ...extra] : DEFAULT_DEVICE_RULES;
}
