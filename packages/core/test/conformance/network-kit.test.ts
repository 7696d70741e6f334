import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type ContainerId,
  type NetworkAttachment,
  type NetworkDriver,
  type NetworkRequest,
} from '../../src/index.js';
import { describeNetworkDriver, type NetworkSubject } from '../../src/testing/index.js';
import { failedTests, failures, runSuite } from './run-suite.js';

type Breakage = 'none' | 'detach-leaves-netns' | 'gateway-elsewhere' | 'same-address' | 'port-undecided';

/** Namespaces as files in a directory, addresses from 10.88.0.0/24; `broken` breaks one promise. */
class FileNetwork implements NetworkDriver {
  readonly name = 'file-network';
  private readonly attached = new Map<ContainerId, NetworkAttachment>();
  private next = 2;

  constructor(
    private readonly dir: string,
    private readonly broken: Breakage,
  ) {}

  async attach(id: ContainerId, request: NetworkRequest): Promise<NetworkAttachment> {
    const files = { resolvConf: 'nameserver 127.0.0.53\n', ports: [] };
    if (request.mode !== 'bridge') {
      return { mode: request.mode, ...files, hostsEntries: ['127.0.0.1\tlocalhost'] };
    }
    const netnsPath = join(this.dir, id);
    writeFileSync(netnsPath, '');
    const ipAddress = `10.88.0.${this.broken === 'same-address' ? 2 : this.next++}`;
    const attachment: NetworkAttachment = {
      mode: 'bridge',
      netnsPath,
      ipAddress,
      prefixLength: 24,
      gateway: this.broken === 'gateway-elsewhere' ? '10.99.0.1' : '10.88.0.1',
      bridge: 'fake0',
      ports: request.ports.map((p) => ({ ...p, hostPort: this.broken === 'port-undecided' ? 0 : 40000 })),
      resolvConf: files.resolvConf,
      hostsEntries: ['127.0.0.1\tlocalhost', `${ipAddress}\t${request.hostname}`],
    };
    this.attached.set(id, attachment);
    return attachment;
  }

  async detach(id: ContainerId): Promise<void> {
    const attachment = this.attached.get(id);
    if (attachment?.netnsPath && this.broken !== 'detach-leaves-netns')
      rmSync(attachment.netnsPath, { force: true });
    this.attached.delete(id);
  }

  async list(): Promise<ContainerId[]> {
    return [...this.attached.keys()];
  }
}

function subject(broken: Breakage): NetworkSubject {
  const dir = mkdtempSync(join(tmpdir(), 'koker-network-kit-'));
  const driver = new FileNetwork(dir, broken);
  return {
    driver,
    interfaces: (netnsPath) => {
      expect(existsSync(netnsPath)).toBe(true);
      const ip = (driver as unknown as { attached: Map<string, NetworkAttachment> }).attached.get(
        netnsPath.split('/').pop() as string,
      )?.ipAddress;
      return [
        { name: 'lo', up: true, ipv4: ['127.0.0.1'] },
        ...(ip ? [{ name: 'eth0', up: true, ipv4: [ip] }] : []),
      ];
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const run = (broken: Breakage) =>
  runSuite((t) =>
    describeNetworkDriver(t, {
      name: broken,
      modes: ['none', 'host', 'bridge'],
      create: () => subject(broken),
    }),
  );

describe('describeNetworkDriver', () => {
  it('passes a driver that keeps every promise', async () => {
    const outcome = await run('none');
    expect(outcome.failed, failures(outcome)).toEqual([]);
    // Six: the user-network check passes at once for a driver without `networks`.
    expect(outcome.passed.length).toBe(6);
  });

  it('fails a driver whose detach leaves the namespace', async () => {
    expect(failedTests(await run('detach-leaves-netns'))).toEqual([
      'bridge: a namespace to join with eth0 addressed, a gateway in its subnet, hosts naming the container',
      'bridge: two containers get different addresses; a published port 0 gets a host port',
    ]);
  });

  it('fails a driver whose gateway is outside the subnet, or that gives two containers one address', async () => {
    expect(failedTests(await run('gateway-elsewhere'))).toContain(
      'bridge: a namespace to join with eth0 addressed, a gateway in its subnet, hosts naming the container',
    );
    expect(failedTests(await run('same-address'))).toEqual([
      'bridge: two containers get different addresses; a published port 0 gets a host port',
    ]);
  });

  it('fails a driver that leaves a published host port undecided', async () => {
    expect(failedTests(await run('port-undecided'))).toEqual([
      'bridge: two containers get different addresses; a published port 0 gets a host port',
    ]);
  });
});
