import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type Logger } from '@koker/core';
import { writeFileAtomic } from '@koker/host';
import { type BridgeSetup } from '../bridge-setup.js';
import { parseSubnet } from '../ipam/subnet.js';
import { RtNetlink } from '../netlink/rtnetlink.js';
import { type NetworkState } from '../state/network-state.js';
import { readOptionalFile } from '../state/optional-file.js';
import { currentProcess, isAlive, type ProcessOwner } from '../state/process-owner.js';
import { isValidLinkName } from '../veth-names.js';

/** `<bridge dir>/creating.json`: a `network create` is making this bridge (removed once defined). */
interface CreationMarker {
  readonly owner: ProcessOwner;
  /** The definition file that makes the bridge a network once written. */
  readonly definition: string;
  readonly subnet: string;
}

const MARKER = 'creating.json';

/** Written (under the subnet and bridge locks) before the bridge's table, device and rules. */
export async function markCreation(state: NetworkState, bridge: string, definition: string, subnet: string) {
  const marker: CreationMarker = { owner: currentProcess(), definition, subnet };
  await writeFileAtomic(join(state.bridgeDir(bridge), MARKER), `${JSON.stringify(marker)}\n`);
}

/** The definition is written: the bridge is a network's now. */
export async function clearCreation(state: NetworkState, bridge: string): Promise<void> {
  await rm(join(state.bridgeDir(bridge), MARKER), { force: true });
}

/**
 * Under the subnet lock: bridges of a `network create` that died before writing the definition
 * (killed, a crash, a full disk) are removed with their rules and table, so a killed create
 * leaks nothing; a marker whose definition exists is only dropped. A live creator is left alone.
 */
export async function reclaimInterruptedCreates(
  state: NetworkState,
  setup: (bridge: string) => BridgeSetup,
  log: Logger,
): Promise<void> {
  let bridges: string[];
  try {
    bridges = (await readdir(state.bridgesDirectory, { withFileTypes: true }))
      .filter((entry) => entry.isDirectory() && isValidLinkName(entry.name))
      .map((entry) => entry.name);
  } catch {
    return;
  }
  for (const bridge of bridges) {
    const text = await readOptionalFile(join(state.bridgeDir(bridge), MARKER));
    if (text === undefined) continue;
    let marker: CreationMarker;
    try {
      marker = JSON.parse(text) as CreationMarker;
    } catch {
      continue;
    }
    if (isAlive(marker.owner)) continue;
    if (existsSync(marker.definition)) {
      await clearCreation(state, bridge);
      continue;
    }
    log.debug({ bridge }, 'Remove the bridge of an interrupted network create');
    const store = state.leases(bridge);
    await store.locked(async () => {
      const rt = new RtNetlink();
      try {
        await setup(bridge).remove(rt, { name: bridge, subnet: parseSubnet(marker.subnet) });
      } finally {
        rt.close();
      }
      await store.remove();
    });
    await rm(state.bridgeDir(bridge), { recursive: true, force: true });
  }
}
