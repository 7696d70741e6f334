import { type ContainerId, type Logger } from '@koker/core';
import { type Iptables } from '../iptables/iptables.js';
import { containerCommentPrefix, portRules } from '../iptables/rules.js';
import { type RtNetlink } from '../netlink/rtnetlink.js';
import { type NetnsFiles } from '../netns/netns-files.js';
import { type AttachmentRecord } from '../state/attachment-record.js';
import { type NetworkState } from '../state/network-state.js';
import { vethNameCandidates } from '../veth-names.js';

/**
 * Removes a container's rules, veth and namespace (its lease and record are the caller's
 * business). Works from the record, or without one from the names koker derives from the ID.
 */
export class ContainerTeardown {
  constructor(
    private readonly log: Logger,
    private readonly iptables: Iptables,
    private readonly netns: NetnsFiles,
    private readonly state: NetworkState,
  ) {}

  /** `netns`: where the namespace is pinned when there is no record (a lease of another root knows). */
  async run(
    id: ContainerId,
    record: AttachmentRecord | undefined,
    rt: RtNetlink,
    netns?: string,
  ): Promise<void> {
    // The recorded rules go in one batch; without a record, or if some rule went missing, koker
    // reads what is there and deletes every rule carrying the container's comment.
    const recorded =
      record?.bridge && record.ipAddress
        ? portRules(id, record.bridge, record.ipAddress, record.ports)
        : undefined;
    if (!recorded || !(await this.iptables.deleteIfAllPresent(recorded))) {
      const prefix = containerCommentPrefix(id);
      await this.iptables.delete(
        (await this.iptables.kokerRules()).filter((r) => r.comment.startsWith(prefix)),
      );
    }
    const hostNames = record?.hostVeth ? [record.hostVeth] : vethNameCandidates(id);
    for (const name of hostNames) {
      const link = rt.link(name);
      if (link?.kind !== 'veth') continue;
      this.log.debug({ link: name }, 'Delete the link device');
      rt.deleteLink(link); // its peer, eth0 in the container, goes with it
    }
    this.netns.remove(record?.netns ?? netns ?? this.state.netnsPath(id));
  }
}
