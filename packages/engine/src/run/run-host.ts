import { existsSync, readFileSync } from 'node:fs';
import { capabilityNames } from '../launch/capabilities.js';

/** Facts about the host a plan depends on; read from /proc unless given (tests). */
export interface RunHost {
  readonly cgroupNamespace: boolean;
  /** The capabilities koker may give: its own bounding set. */
  readonly capabilities: () => string[];
}

export const procHost: RunHost = {
  cgroupNamespace: existsSync('/proc/self/ns/cgroup'),
  capabilities: () => {
    const line = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return capabilityNames(BigInt(`0x${line?.[1] ?? '0'}`));
  },
};
