import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import {
  type NetworkAttachment,
  type NetworkDriver,
  type NetworkMode,
  type NetworkRequest,
} from '../../contracts/network.js';
import { newContainerId, type ContainerId } from '../../domain/container-id.js';
import { withSubject, type SubjectBase, type TestFunctions } from './test-functions.js';

/** An interface of a network namespace, as `ip -o addr` shows it. */
export interface NetnsInterface {
  readonly name: string;
  readonly up: boolean;
  /** IPv4 addresses without prefix length. */
  readonly ipv4: readonly string[];
}

export interface NetworkSubject extends SubjectBase {
  readonly driver: NetworkDriver;
  /**
   * The interfaces of a network namespace file (e.g. with `nsenter --net=PATH ip -o addr`).
   * Optional: without it the suite checks the namespace file exists and what the attachment says.
   */
  interfaces?(netnsPath: string): readonly NetnsInterface[] | Promise<readonly NetnsInterface[]>;
}

export interface NetworkSuiteOptions {
  readonly name?: string;
  /** A fresh driver for each test. */
  create(): NetworkSubject | Promise<NetworkSubject>;
  /** The modes the driver offers; default `none` and `bridge` (`host` is checked when listed). */
  readonly modes?: readonly NetworkMode[];
}

const request = (mode: NetworkMode, name: string, extra: Partial<NetworkRequest> = {}): NetworkRequest => ({
  mode,
  hostname: name,
  name,
  ports: [],
  dns: [],
  ...extra,
});

function ipv4ToNumber(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function sameSubnet(a: string, b: string, prefix: number): boolean {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return (ipv4ToNumber(a) & mask) >>> 0 === (ipv4ToNumber(b) & mask) >>> 0;
}

/** What the engine writes into every container from any attachment: resolv.conf and hosts. */
function checkFiles(attachment: NetworkAttachment): void {
  assert.equal(typeof attachment.resolvConf, 'string', 'resolvConf is the text of /etc/resolv.conf');
  assert.ok(Array.isArray(attachment.ports), 'ports is a list');
  for (const line of attachment.hostsEntries) {
    assert.equal(typeof line, 'string');
    assert.ok(!line.includes('\n'), `a hosts entry is one line: ${JSON.stringify(line)}`);
  }
}

/**
 * The NetworkDriver contract as the engine relies on it: `run` attaches before the launch (the
 * launcher joins `netnsPath`, or makes a namespace with `lo` for `none` when there is none), the
 * attachment's files become the container's /etc/resolv.conf and /etc/hosts, teardown detaches
 * (idempotently, and without leftovers), garbage collection lists what the driver holds.
 */
export function describeNetworkDriver(t: TestFunctions, options: NetworkSuiteOptions): void {
  const modes = options.modes ?? ['none', 'bridge'];
  const test = (name: string, body: (s: NetworkSubject) => Promise<void>) =>
    t.it(name, () => withSubject(options.create, body));

  const detached = async (s: NetworkSubject, id: ContainerId, attachment?: NetworkAttachment) => {
    assert.equal((await s.driver.list()).includes(id), false, 'list() no longer reports the container');
    if (attachment?.netnsPath)
      assert.equal(existsSync(attachment.netnsPath), false, `${attachment.netnsPath} is removed by detach`);
  };

  t.describe(`NetworkDriver conformance${options.name ? `: ${options.name}` : ''}`, () => {
    if (modes.includes('none')) {
      test('none: an isolated namespace with only lo, no ports; detach leaves nothing and may be repeated', async (s) => {
        const id = newContainerId();
        let attachment: NetworkAttachment | undefined;
        try {
          attachment = await s.driver.attach(id, request('none', 'isolated'));
          assert.equal(attachment.mode, 'none');
          assert.deepEqual(attachment.ports, []);
          assert.equal(attachment.ipAddress, undefined, 'no address outside lo');
          checkFiles(attachment);
          // Without a namespace file the launcher makes a fresh namespace and brings lo up itself.
          if (attachment.netnsPath) {
            assert.ok(existsSync(attachment.netnsPath), `${attachment.netnsPath} exists`);
            if (s.interfaces) {
              const links = await s.interfaces(attachment.netnsPath);
              assert.deepEqual(
                links.map((l) => l.name),
                ['lo'],
                'only lo',
              );
              assert.equal(links[0]?.up, true, 'lo is up');
            }
          }
        } finally {
          await s.driver.detach(id);
        }
        await detached(s, id, attachment);
        await s.driver.detach(id);
      });
    }

    if (modes.includes('host')) {
      test("host: the host's namespace, nothing to join", async (s) => {
        const id = newContainerId();
        try {
          const attachment = await s.driver.attach(id, request('host', 'on-host'));
          assert.equal(attachment.mode, 'host');
          assert.equal(
            attachment.netnsPath,
            undefined,
            'nothing to join: the container stays in the host namespace',
          );
          checkFiles(attachment);
        } finally {
          await s.driver.detach(id);
        }
        await detached(s, id);
      });
    }

    if (modes.includes('bridge')) {
      test('bridge: a namespace to join with eth0 addressed, a gateway in its subnet, hosts naming the container', async (s) => {
        const id = newContainerId();
        let attachment: NetworkAttachment | undefined;
        try {
          attachment = await s.driver.attach(id, request('bridge', 'bridged'));
          assert.equal(attachment.mode, 'bridge');
          const { netnsPath, ipAddress, prefixLength, gateway } = attachment;
          assert.ok(netnsPath && existsSync(netnsPath), `the namespace file ${String(netnsPath)} exists`);
          assert.ok(ipAddress && isIPv4(ipAddress), `ipAddress ${String(ipAddress)}`);
          assert.ok(
            typeof prefixLength === 'number' && prefixLength >= 8 && prefixLength <= 30,
            `prefixLength ${String(prefixLength)}`,
          );
          assert.ok(gateway && isIPv4(gateway), `gateway ${String(gateway)}`);
          assert.ok(
            sameSubnet(ipAddress, gateway, prefixLength),
            `${ipAddress} and ${gateway} share a /${prefixLength}`,
          );
          assert.notEqual(ipAddress, gateway);
          checkFiles(attachment);
          assert.ok(
            attachment.hostsEntries.some(
              (line) => line.split(/\s+/)[0] === ipAddress && line.includes('bridged'),
            ),
            `/etc/hosts names the container at ${ipAddress}: ${JSON.stringify(attachment.hostsEntries)}`,
          );
          assert.ok((await s.driver.list()).includes(id), 'list() reports the container');
          if (s.interfaces) {
            const links = await s.interfaces(netnsPath);
            const eth0 = links.find((l) => l.name === 'eth0');
            assert.ok(eth0?.up, `eth0 is up: ${JSON.stringify(links)}`);
            assert.deepEqual(eth0.ipv4, [ipAddress]);
            assert.ok(links.find((l) => l.name === 'lo')?.up, 'lo is up');
          }
        } finally {
          await s.driver.detach(id);
        }
        await detached(s, id, attachment);
        await s.driver.detach(id);
      });

      test('bridge: two containers get different addresses; a published port 0 gets a host port', async (s) => {
        const [a, b] = [newContainerId(), newContainerId()];
        try {
          const one = await s.driver.attach(a, request('bridge', 'one'));
          const two = await s.driver.attach(
            b,
            request('bridge', 'two', {
              ports: [{ hostIp: '127.0.0.1', hostPort: 0, containerPort: 80, protocol: 'tcp' }],
            }),
          );
          assert.notEqual(one.ipAddress, two.ipAddress);
          assert.notEqual(one.netnsPath, two.netnsPath);
          assert.equal(two.ports.length, 1);
          const [port] = two.ports;
          assert.ok(
            port && port.hostPort > 0 && port.hostPort < 65536,
            `host port decided: ${JSON.stringify(port)}`,
          );
          assert.deepEqual(
            { ...port, hostPort: 0 },
            { hostIp: '127.0.0.1', hostPort: 0, containerPort: 80, protocol: 'tcp' },
          );
          await s.driver.detach(a);
          assert.ok(two.netnsPath && existsSync(two.netnsPath), 'detaching one leaves the other');
          assert.deepEqual(
            (await s.driver.list()).filter((id) => id === a || id === b),
            [b],
          );
          await detached(s, a, one);
        } finally {
          await s.driver.detach(a);
          await s.driver.detach(b);
        }
      });
    }

    test('user networks (when the driver offers them): create, find, attach, remove refused while in use', async (s) => {
      const networks = s.driver.networks;
      if (!networks) return; // a driver without user networks: --network NAME is refused by the CLI
      const name = `conformance-${newContainerId().slice(0, 8)}`;
      const spec = { name, internal: false, labels: { suite: 'conformance' }, options: {} };
      const created = await networks.create(spec);
      const id = newContainerId();
      try {
        assert.match(created.id, /^[0-9a-f]{64}$/);
        assert.equal(created.name, name);
        assert.equal(created.driver, s.driver.name);
        assert.deepEqual(created.labels, { suite: 'conformance' });
        await assert.rejects(networks.create(spec), { code: 'CONFLICT' }, 'a name is taken once');
        assert.equal((await networks.find(created.id.slice(0, 12))).name, name, 'found by ID prefix');
        assert.ok(
          (await networks.list()).some((n) => n.id === created.id),
          'listed',
        );
        const attachment = await s.driver.attach(id, request('bridge', 'member', { network: name }));
        const [subnet, prefix] = created.subnet.split('/');
        assert.ok(
          attachment.ipAddress && subnet && sameSubnet(attachment.ipAddress, subnet, Number(prefix)),
          `${String(attachment.ipAddress)} is in the network's ${created.subnet}`,
        );
        assert.deepEqual(
          (await networks.find(name)).containers.map((c) => c.id),
          [id],
          'the network lists its container',
        );
        await assert.rejects(networks.remove(name), { code: 'CONFLICT' }, 'not removed while in use');
        await s.driver.detach(id);
        await networks.remove(name);
        await assert.rejects(networks.find(name), { code: 'NOT_FOUND' });
        await assert.rejects(
          s.driver.attach(id, request('bridge', 'member', { network: name })),
          { code: 'NOT_FOUND' },
          'attaching to a network that is gone',
        );
      } finally {
        await s.driver.detach(id);
        await networks.remove(name).catch(() => undefined);
      }
    });

    test('detach of a container never attached is not an error', async (s) => {
      const id = newContainerId();
      await s.driver.detach(id);
      assert.equal((await s.driver.list()).includes(id), false);
    });
  });
}
