import { randomBytes } from 'node:crypto';
import { must, sh } from './host-commands.js';

/**
 * "Another host": a network namespace behind its own veth pair, with an address the containers'
 * subnet does not cover and no route back to it. What it sees is what the outside world sees.
 */
export interface RemoteHost {
  /** `ip netns` name; its file is /run/netns/<name>. */
  readonly name: string;
  readonly netns: string;
  /** The remote's own address. */
  readonly address: string;
  /** The host's address on the link to the remote. */
  readonly hostAddress: string;
  destroy(): void;
}

export function createRemoteHost(subnetPrefix: string): RemoteHost {
  const tag = randomBytes(3).toString('hex');
  const name = `koker-rmt-${tag}`;
  const hostEnd = `koker-rh${tag}`;
  const remoteEnd = `koker-rp${tag}`;
  const hostAddress = `${subnetPrefix}.1`;
  const address = `${subnetPrefix}.2`;
  const remote: RemoteHost = {
    name,
    netns: `/run/netns/${name}`,
    address,
    hostAddress,
    destroy: () => {
      sh('ip', ['link', 'del', hostEnd]);
      sh('ip', ['netns', 'del', name]);
    },
  };
  try {
    must('ip', ['netns', 'add', name]);
    must('ip', ['link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', remoteEnd]);
    must('ip', ['link', 'set', remoteEnd, 'netns', name]);
    must('ip', ['addr', 'add', `${hostAddress}/30`, 'dev', hostEnd]);
    must('ip', ['link', 'set', hostEnd, 'up']);
    must('ip', ['-n', name, 'addr', 'add', `${address}/30`, 'dev', remoteEnd]);
    must('ip', ['-n', name, 'link', 'set', remoteEnd, 'up']);
    must('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  } catch (error) {
    remote.destroy();
    throw error;
  }
  return remote;
}
