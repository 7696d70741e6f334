import { describe, it } from 'vitest';
import { newContainerId } from '@koker/core';
import { describeNetworkDriver, type NetnsInterface } from '@koker/core/testing';
import { snapshotHost } from '../helpers/host-leaks.js';
import { must } from './helpers/host-commands.js';
import { createNetFixture } from './helpers/net-fixture.js';

/** The interfaces of a namespace as `ip` shows them from inside it. */
function interfaces(netnsPath: string): NetnsInterface[] {
  const inside = (args: string[]) => must('nsenter', [`--net=${netnsPath}`, 'ip', '-o', ...args]);
  const addresses = inside(['-4', 'addr', 'show']);
  return inside(['link', 'show'])
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [, name = '', flags = ''] = /^\d+: ([^:@]+)(?:@[^:]+)?: <([^>]*)>/.exec(line) ?? [];
      const ipv4 = [...addresses.matchAll(new RegExp(`^\\d+: ${name}\\s+inet (\\S+)/`, 'gm'))].map(
        (m) => m[1] as string,
      );
      return { name, up: flags.split(',').includes('UP'), ipv4 };
    });
}

// The NetworkDriver contract, for real: the bridge driver with a bridge and /24 of its own per
// test, namespaces, veths and iptables rules on this kernel.
describeNetworkDriver(
  { describe, it },
  {
    name: 'bridge on this kernel',
    create: async () => {
      const net = createNetFixture();
      // The bridge and its rules outlive containers (as docker0): made before the test looks.
      const warm = newContainerId();
      await net.driver.attach(warm, { mode: 'bridge', hostname: 'warm', name: 'warm', ports: [], dns: [] });
      await net.driver.detach(warm);
      return {
        driver: net.driver,
        interfaces,
        leftovers: () => {
          const host = snapshotHost();
          return [
            ...host.links,
            ...host.netns,
            ...host.iptables,
            ...host.mounts.filter((m) => m.startsWith(net.root)),
          ];
        },
        dispose: () => net.destroy(),
      };
    },
  },
);
