import { type ContainerId } from '@koker/core';

/**
 * Names for the host end of a container's veth pair, from the container's ID, not the clock (the
 * Go koker's collided for two runs in the same second): `veth` + 11 hex digits. Later candidates use
 * later parts of the ID in case an earlier name exists on the host. The other end is born inside
 * the container's namespace as eth0, so it needs no name of its own on the host.
 */
export function vethNameCandidates(id: ContainerId): string[] {
  const candidates: string[] = [];
  for (let offset = 0; offset + 11 <= id.length; offset += 11)
    candidates.push(`veth${id.slice(offset, offset + 11)}`);
  return candidates;
}

/** A Linux interface name: 1..15 bytes, no `/`, no whitespace, not `.` or `..`. */
export function isValidLinkName(name: string): boolean {
  return /^[A-Za-z0-9_.-]{1,15}$/.test(name) && name !== '.' && name !== '..';
}
