import { join } from 'node:path';
import { type ContainerId, type Logger } from '@koker/core';
import { AttachmentRecords } from './attachment-record.js';
import { LeaseStore } from './lease-store.js';

/**
 * Where the driver keeps what it knows, all under the run root (`/run/koker`, a tmpfs: a
 * container's network does not outlive a reboot, and neither does this state):
 * `network/<bridge>/leases.json` (+ `lock`, `rules-checked.json`), `network/containers/<id>.json`
 * and the pinned namespaces `netns/<id>`.
 */
export class NetworkState {
  readonly records: AttachmentRecords;

  constructor(
    private readonly runRoot: string,
    private readonly log: Logger,
  ) {
    this.records = new AttachmentRecords(join(this.networkDir, 'containers'));
  }

  private get networkDir(): string {
    return join(this.runRoot, 'network');
  }

  /** The directory of pinned network namespaces. */
  get netnsDir(): string {
    return join(this.runRoot, 'netns');
  }

  netnsPath(id: ContainerId): string {
    return join(this.netnsDir, id);
  }

  /** Everything koker keeps about one bridge (removed with it). */
  bridgeDir(bridge: string): string {
    return join(this.networkDir, bridge);
  }

  /** When the bridge's iptables rules were last read back. */
  rulesCheckedPath(bridge: string): string {
    return join(this.bridgeDir(bridge), 'rules-checked.json');
  }

  leases(bridge: string): LeaseStore {
    return new LeaseStore(bridge, this.bridgeDir(bridge), this.log);
  }
}
