import { type ContainerId } from '@koker/core';

/** The two ends of a container's veth pair while both are still in the host's namespace. */
export interface VethNames {
  /** Stays on the host, attached to the bridge. */
  readonly host: string;
  /** Moves into the container and becomes eth0. */
  readonly peer: string;
}

const IFNAMSIZ = 15;

/**
 * Names from the container's ID, not the clock (the seed's collided for two runs in the same
 * second): `veth` + 11 hex digits and `koker` + 10. Later candidates use later parts of the ID
 * in case an earlier name exists on the host.
 */
export function vethNameCandidates(id: ContainerId): VethNames[] {
  const candidates: VethNames[] = [];
  for (let offset = 0; offset + 11 <= id.length; offset += 11) {
    const part = id.slice(offset, offset + 11);
    candidates.push({ host: `veth${part}`, peer: `koker${part.slice(0, IFNAMSIZ - 5)}` });
  }
  return candidates;
}

/** A Linux interface name: 1..15 bytes, no `/`, no whitespace, not `.` or `..`. */
export function isValidLinkName(name: string): boolean {
  return /^[A-Za-z0-9_.-]{1,15}$/.test(name) && name !== '.' && name !== '..';
}
