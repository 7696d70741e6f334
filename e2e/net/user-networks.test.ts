import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@koker/core';
import { KoffiSyscalls } from '@koker/host';
import { createLogger } from '@koker/log';
import { BridgeNetworkDriver, HOST_BRIDGES_DIR } from '@koker/net-bridge';
import { koker } from '../helpers/koker.js';
import { must, startInNetns } from './helpers/host-commands.js';
import { freeSubnetPrefix } from './helpers/net-fixture.js';
import { createRemoteHost, type RemoteHost } from './helpers/remote-host.js';

// User networks through the `koker` command: each its own bridge and subnet, isolated from the
// others; --internal ones without a way out; rm and prune leave nothing behind.

const SCRIPT = fileURLToPath(new URL('../../scripts/build-busybox-image.sh', import.meta.url));
const WEB = (text: string) =>
  `mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 80 -h /www`;
/** busybox wget with retries while a server starts; `timeout` bounds each try (wget's -T crashes). */
const FETCH = (url: string, tries = 30) =>
  `for i in $(seq ${tries}); do timeout 3 wget -q -O - ${url} && exit 0; sleep 0.2; done; exit 1`;

let dir: string;
let root: string;
let env: NodeJS.ProcessEnv;
let subnetPrefix: string;
let remote: RemoteHost;
let remoteServer: { stop: () => void };
const tag = randomBytes(2).toString('hex');

const run = (args: readonly string[]) => koker(['--root', root, ...args], { env });

async function ok(args: readonly string[]): Promise<string> {
  const result = await run(args);
  expect(result.code, `koker ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout.trim();
}

/** `koker run -d FLAGS busybox COMMAND`: the new container's ID. */
const runDetached = (flags: readonly string[], ...command: string[]) =>
  ok(['run', '-d', ...flags, 'busybox', ...command]);
const SLEEP = ['sleep', '600'];
/** A command serving `text` over HTTP on port 80. */
const serve = (text: string) => ['sh', '-c', WEB(text)];

/** A one-off container on `network` fetching `url` (see FETCH): its result. */
const fetchOn = (network: string, url: string, tries?: number) =>
  run(['run', '--rm', '--network', network, 'busybox', 'sh', '-c', FETCH(url, tries)]);

async function createNetwork(name: string, ...flags: string[]): Promise<string> {
  return ok(['network', 'create', ...flags, name]);
}

interface NetworkDocument {
  Name: string;
  Id: string;
  IPAM: { Config: { Subnet: string; Gateway: string }[] };
  Internal: boolean;
  Containers: Record<string, { Name: string; IPv4Address: string }>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

interface ContainerDocument {
  HostConfig: { NetworkMode: string };
  NetworkSettings: { Networks: Record<string, Record<string, unknown>> };
}

async function inspectNetwork(name: string): Promise<NetworkDocument> {
  return (JSON.parse(await ok(['network', 'inspect', name])) as NetworkDocument[])[0] as NetworkDocument;
}

async function inspectContainer(id: string): Promise<ContainerDocument> {
  return (JSON.parse(await ok(['inspect', id])) as ContainerDocument[])[0] as ContainerDocument;
}

async function ipOf(container: string): Promise<string> {
  const [document] = JSON.parse(await ok(['inspect', container])) as {
    NetworkSettings: { IPAddress: string };
  }[];
  return document?.NetworkSettings.IPAddress ?? '';
}

/** Runs `jobs` with at most `width` at once. */
async function inBatches<T>(jobs: (() => Promise<T>)[], width: number): Promise<T[]> {
  const results: T[] = new Array<T>(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const index = next++;
      results[index] = await (jobs[index] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

/** What a network leaves on the host: its bridge, veths on it, rules naming it, its table, its names. */
function traces(bridge: string): string[] {
  return [
    ...must('ip', ['-o', 'link', 'show'])
      .split('\n')
      .filter((l) => l.includes(bridge)),
    ...must('iptables-save', [])
      .split('\n')
      .filter((l) => l.includes(bridge)),
    ...(existsSync(join(HOST_BRIDGES_DIR, bridge)) ? [join(HOST_BRIDGES_DIR, bridge)] : []),
    // The names koker-dns served on it.
    ...(existsSync(join(HOST_BRIDGES_DIR, '..', 'dns', bridge)) ? [`dns records of ${bridge}`] : []),
  ];
}

beforeAll(async () => {
  dir = mkdtempSync('/tmp/koker-e2e-usernet-');
  root = join(dir, 'root');
  const configFile = join(dir, 'config.json');
  subnetPrefix = freeSubnetPrefix();
  // The default bridge is the test's own too (removed at the end).
  writeFileSync(
    configFile,
    JSON.stringify({ network: { bridge: `koker-t${tag}`, subnet: `${subnetPrefix}.0/24` } }),
  );
  env = { KOKER_CONFIG: configFile };
  const archive = join(dir, 'busybox.tar');
  execFileSync(SCRIPT, [archive, 'busybox:latest']);
  await ok(['load', '-i', archive]);
  remote = createRemoteHost(freeSubnetPrefix());
  const www = join(dir, 'remote-www');
  mkdirSync(www);
  writeFileSync(join(www, 'index.html'), 'remote-page\n');
  remoteServer = startInNetns(remote.netns, 'httpd', ['-f', '-p', '8000', '-h', www]);
});

afterAll(async () => {
  try {
    const all = (await run(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean);
    if (all.length > 0) await run(['rm', '-f', ...all]);
    const left = (await run(['network', 'ls', '-q', '--filter', 'type=custom'])).stdout
      .split('\n')
      .filter(Boolean);
    if (left.length > 0) await run(['network', 'rm', ...left]);
    // The test's default bridge, made by the containers run without --network.
    const config = { ...loadConfig({ env: {}, file: join(dir, 'config.json') }), root };
    const log = createLogger({ level: 'silent', format: 'json', fd: openSync('/dev/null', 'w') });
    await new BridgeNetworkDriver({ config, log, syscalls: new KoffiSyscalls() }).removeBridge();
  } finally {
    remoteServer?.stop();
    remote?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('user networks', () => {
  it('creates networks with their own bridge and subnet, listed and inspected as Docker shows them', async () => {
    const id = await createNetwork(`front-${tag}`, '--label', 'tier=front');
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    await createNetwork(`back-${tag}`, '--subnet', '10.71.200.0/24', '--gateway', '10.71.200.254');
    const front = await inspectNetwork(`front-${tag}`);
    const back = await inspectNetwork(`back-${tag}`);
    expect(back.IPAM.Config[0]).toEqual({ Subnet: '10.71.200.0/24', Gateway: '10.71.200.254' });
    expect(front.IPAM.Config[0]?.Subnet).not.toBe(back.IPAM.Config[0]?.Subnet);
    expect(front.Labels).toEqual({ tier: 'front' });
    const bridge = front.Options['com.docker.network.bridge.name'] as string;
    expect(must('ip', ['-o', '-4', 'addr', 'show', 'dev', bridge])).toContain(
      `inet ${front.IPAM.Config[0]?.Gateway}/24`,
    );
    const table = await ok(['network', 'ls']);
    expect(table.split('\n')[0]).toMatch(/^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$/);
    expect(table).toMatch(new RegExp(`^${id.slice(0, 12)}\\s+front-${tag}\\s+bridge\\s+local$`, 'm'));
    expect(await ok(['network', 'ls', '-q', '--filter', 'label=tier=front'])).toBe(id.slice(0, 12));
    expect(await ok(['network', 'ls', '-q', '--filter', `name=back-${tag}`])).not.toContain(id.slice(0, 12));
    // Without containers both are dangling; scope is local; driver and type combine.
    expect(
      (await ok(['network', 'ls', '-q', '--filter', 'dangling=true', '--filter', `name=-${tag}`])).split(
        '\n',
      ),
    ).toContain(id.slice(0, 12));
    expect(await ok(['network', 'ls', '-q', '--filter', 'dangling=false', '--filter', `name=-${tag}`])).toBe(
      '',
    );
    expect(await ok(['network', 'ls', '-q', '--filter', 'scope=swarm'])).toBe('');
    expect(
      await ok([
        'network',
        'ls',
        '-q',
        '--filter',
        'driver=bridge',
        '--filter',
        'type=custom',
        '--filter',
        `name=front-${tag}`,
      ]),
    ).toBe(id.slice(0, 12));
    const badFilter = await run(['network', 'ls', '--filter', 'dangling=maybe']);
    expect(badFilter.code).not.toBe(0);
    const taken = await run(['network', 'create', `front-${tag}`]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain(`network with name front-${tag} already exists`);
    const overlap = await run(['network', 'create', '--subnet', '10.71.200.128/25', `x-${tag}`]);
    expect(overlap.code).toBe(1);
    expect(overlap.stderr).toContain('overlaps');
    const unknown = await run(['run', '--rm', '--network', `nope-${tag}`, 'busybox', 'true']);
    expect(unknown.code).toBe(125);
    expect(unknown.stderr).toContain(`network nope-${tag} not found`);
  });

  it('lists and inspects the built-in bridge, host and none networks, and refuses to remove them', async () => {
    const table = await ok(['network', 'ls']);
    for (const [name, driver] of [
      ['bridge', 'bridge'],
      ['host', 'host'],
      ['none', 'null'],
    ])
      expect(table).toMatch(new RegExp(`^[0-9a-f]{12}\\s+${name}\\s+${driver}\\s+local$`, 'm'));
    const builtin = (await ok(['network', 'ls', '-q', '--filter', 'type=builtin'])).split('\n');
    expect(builtin).toHaveLength(3);
    const bridge = await inspectNetwork('bridge');
    expect(bridge.IPAM.Config[0]?.Subnet).toBe(`${subnetPrefix}.0/24`);
    expect(bridge.Options['com.docker.network.bridge.name']).toBe(`koker-t${tag}`);
    expect((await inspectNetwork(builtin[0] as string)).Name).toBe(bridge.Name);
    expect((await inspectNetwork('none')).IPAM.Config).toEqual([]);
    for (const name of ['bridge', 'host', 'none']) {
      const refused = await run(['network', 'rm', name]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`${name} is a pre-defined network and cannot be removed`);
    }
    expect(await ok(['network', 'ls', '-q', '--filter', 'name=bridge', '--filter', 'type=builtin'])).toBe(
      builtin[0],
    );
  });

  it('connects containers of one network, isolates them from another, and NATs them out to a remote host', async () => {
    const web = await runDetached(['--network', `front-${tag}`], ...serve('front-page'));
    const ip = await ipOf(web);
    expect((await inspectNetwork(`front-${tag}`)).Containers[web]?.IPv4Address).toBe(`${ip}/24`);
    const same = await fetchOn(`front-${tag}`, `http://${ip}/`);
    expect(same.stdout).toBe('front-page\n');
    const other = await fetchOn(`back-${tag}`, `http://${ip}/`, 2);
    expect(other.code).not.toBe(0);
    expect(other.stdout).toBe('');
    const out = await fetchOn(`back-${tag}`, `http://${remote.address}:8000/`);
    expect(out.stdout).toBe('remote-page\n');
  });

  it('resolves names, aliases and short IDs on the same network (wget http://web/), none from another', async () => {
    const web = await runDetached(
      ['--name', `web-${tag}`, '--network', `front-${tag}`, '--network-alias', 'www'],
      ...serve('by-name'),
    );
    for (const name of [`web-${tag}`, 'www', web.slice(0, 12)]) {
      const got = await fetchOn(`front-${tag}`, `http://${name}/`);
      expect(got.stdout, `http://${name}/ ${got.stderr}`).toBe('by-name\n');
    }
    // A container started later is known to the earlier one too (the network's resolver learns it).
    const later = await runDetached(['--name', `later-${tag}`, '--network', `front-${tag}`], ...SLEEP);
    const seen = await run(['exec', web, 'ping', '-c', '1', '-W', '2', `later-${tag}`]);
    expect(seen.code, seen.stdout + seen.stderr).toBe(0);
    await ok(['rm', '-f', later]);
    const gone = await run(['exec', web, 'nslookup', `later-${tag}`]);
    expect(gone.stdout + gone.stderr).toContain('NXDOMAIN');
    const other = await run([
      'run',
      '--rm',
      '--network',
      `back-${tag}`,
      'busybox',
      'sh',
      '-c',
      `cat /etc/hosts; ping -c 1 -W 1 web-${tag}`,
    ]);
    expect(other.code).not.toBe(0);
    expect(other.stdout).not.toContain(`web-${tag}`);
  });

  it('--ip gives the wanted address on the network, and refuses one taken', async () => {
    const subnet = (await inspectNetwork(`back-${tag}`)).IPAM.Config[0]?.Subnet as string;
    const wanted = subnet.replace(/0\/24$/, '77');
    const id = await ok(['run', '-d', '--network', `back-${tag}`, '--ip', wanted, 'busybox', 'sleep', '600']);
    expect(await ipOf(id)).toBe(wanted);
    const taken = await run(['run', '--rm', '--network', `back-${tag}`, '--ip', wanted, 'busybox', 'true']);
    expect(taken.code).toBe(125);
    expect(taken.stderr).toContain(`address ${wanted} is already in use`);
    await ok(['rm', '-f', id]);
  });

  it('hairpin: a container reaches a published port through the host address (its network gateway)', async () => {
    const web = await runDetached(['--network', `back-${tag}`, '-p', '80'], ...serve('hairpin'));
    const port = (await ok(['port', web, '80'])).split('\n')[0]?.split(':').at(-1) as string;
    const client = await run([
      'run',
      '--rm',
      '--network',
      `back-${tag}`,
      '--add-host',
      'host.koker.internal:host-gateway',
      'busybox',
      'sh',
      '-c',
      FETCH(`http://host.koker.internal:${port}/`),
    ]);
    expect(client.stdout, client.stderr).toBe('hairpin\n');
    await ok(['rm', '-f', web]);
  });

  it('--add-host, --dns-search, --dns-option; --network host takes the host name', async () => {
    const files = await ok([
      'run',
      '--rm',
      '--network',
      `back-${tag}`,
      '--add-host',
      'db.example:192.0.2.9',
      '--add-host',
      'gw:host-gateway',
      '--dns-search',
      'a.example',
      '--dns-option',
      'ndots:3',
      'busybox',
      'sh',
      '-c',
      'cat /etc/hosts /etc/resolv.conf',
    ]);
    expect(files).toContain('192.0.2.9\tdb.example');
    expect(files).toContain(`${(await inspectNetwork(`back-${tag}`)).IPAM.Config[0]?.Gateway}\tgw`);
    expect(files).toContain('search a.example');
    expect(files).toContain('options ndots:3');
    expect(await ok(['run', '--rm', '--network', 'host', 'busybox', 'hostname'])).toBe(hostname());
  });

  it('--domainname sets the NIS domain name of the container, refused with --uts host', async () => {
    const id = await runDetached(['--hostname', 'box', '--domainname', 'example.org'], ...SLEEP);
    expect(await ok(['exec', id, 'sh', '-c', 'hostname; cat /proc/sys/kernel/domainname'])).toBe(
      'box\nexample.org',
    );
    const doc = (JSON.parse(await ok(['inspect', id])) as { Config: { Domainname: string } }[])[0];
    expect(doc?.Config.Domainname).toBe('example.org');
    await ok(['rm', '-f', id]);
    const refused = await run(['run', '--rm', '--uts', 'host', '--domainname', 'x', 'busybox', 'true']);
    expect(refused.code).toBe(125);
    expect(refused.stderr).toContain('conflicting options: domainname and the UTS mode');
  });

  it('--network container:NAME shares the network namespace, hosts and hostname of a running container', async () => {
    const web = await runDetached(['--name', `pod-${tag}`, '--network', `back-${tag}`], ...serve('sidecar'));
    const shared = await run([
      'run',
      '--rm',
      '--network',
      `container:pod-${tag}`,
      'busybox',
      'sh',
      '-c',
      `hostname; ip -o -4 addr show eth0; ${FETCH('http://127.0.0.1/')}`,
    ]);
    expect(shared.code, shared.stderr).toBe(0);
    expect(shared.stdout).toContain(`${web.slice(0, 12)}\n`);
    expect(shared.stdout).toContain(`inet ${await ipOf(web)}/24`);
    expect(shared.stdout).toContain('sidecar\n');
    await ok(['stop', '-t', '1', web]);
    const stopped = await run(['run', '--rm', '--network', `container:pod-${tag}`, 'busybox', 'true']);
    expect(stopped.code).toBe(125);
    expect(stopped.stderr).toContain(`cannot join network of a non running container: pod-${tag}`);
    await ok(['rm', '-f', web]);
  });

  it('start of a container on --network container:NAME joins that container again, refused while it is stopped', async () => {
    const pod = await runDetached(['--name', `pod2-${tag}`, '--network', `back-${tag}`], ...SLEEP);
    const side = await ok(['run', '-d', '--network', `container:pod2-${tag}`, 'busybox', 'sleep', '600']);
    const sideDoc = await inspectContainer(side);
    expect(sideDoc.HostConfig.NetworkMode).toBe(`container:pod2-${tag}`);
    expect(sideDoc.NetworkSettings.Networks).toEqual({});
    await ok(['stop', '-t', '1', side]);
    await ok(['stop', '-t', '1', pod]);
    const refused = await run(['start', side]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`cannot join network of a non running container: pod2-${tag}`);
    await ok(['start', pod]);
    await ok(['start', side]);
    const seen = await ok(['exec', side, 'ip', '-o', '-4', 'addr', 'show', 'eth0']);
    expect(seen).toContain(`inet ${await ipOf(pod)}/24`);
    await ok(['rm', '-f', side, pod]);
  });

  it('--internal: reachable inside the network, no way out', async () => {
    await createNetwork(`internal-${tag}`, '--internal');
    expect((await inspectNetwork(`internal-${tag}`)).Internal).toBe(true);
    const web = await ok(['run', '-d', '--network', `internal-${tag}`, 'busybox', 'sh', '-c', WEB('inside')]);
    const ip = await ipOf(web);
    const inside = await fetchOn(`internal-${tag}`, `http://${ip}/`);
    expect(inside.stdout).toBe('inside\n');
    const out = await fetchOn(`internal-${tag}`, `http://${remote.address}:8000/`, 2);
    expect(out.code).not.toBe(0);
    expect(out.stdout).toBe('');
  });

  it('inspect names the user network in NetworkMode and NetworkSettings.Networks, connected ones too', async () => {
    const front = await inspectNetwork(`front-${tag}`);
    const back = await inspectNetwork(`back-${tag}`);
    const id = await runDetached(['--network', `front-${tag}`, '--network-alias', 'api'], ...SLEEP);
    await ok(['network', 'connect', '--alias', 'api2', `back-${tag}`, id]);
    const doc = await inspectContainer(id);
    const name = (JSON.parse(await ok(['inspect', id])) as { Name: string }[])[0]?.Name.replace(/^\//, '');
    expect(doc.HostConfig.NetworkMode).toBe(`front-${tag}`);
    const mac = await ok(['exec', id, 'cat', '/sys/class/net/eth0/address']);
    const address = (await ok(['exec', id, 'ip', '-o', '-4', 'addr', 'show', 'eth0'])).match(
      /inet ([\d.]+)\/24/,
    )?.[1];
    expect(doc.NetworkSettings.Networks[`front-${tag}`]).toEqual({
      NetworkID: front.Id,
      IPAddress: address,
      IPPrefixLen: 24,
      Gateway: front.IPAM.Config[0]?.Gateway,
      MacAddress: mac,
      Aliases: ['api'],
      DNSNames: [name, 'api', id.slice(0, 12)],
    });
    const eth1 = await ok(['exec', id, 'cat', '/sys/class/net/eth1/address']);
    expect(doc.NetworkSettings.Networks[`back-${tag}`]).toMatchObject({
      NetworkID: back.Id,
      IPAddress: expect.stringMatching(/^10\.71\.200\./),
      Gateway: '10.71.200.254',
      MacAddress: eth1,
      Aliases: ['api2'],
      DNSNames: [name, 'api2', id.slice(0, 12)],
    });
    // network inspect: each container's address, MAC and aliases on that network.
    const onBack = (await inspectNetwork(`back-${tag}`)).Containers[id] as unknown as Record<string, unknown>;
    expect(onBack).toMatchObject({
      Name: name,
      MacAddress: eth1,
      IPv4Address: expect.stringMatching(/^10\.71\.200\.\d+\/24$/),
      Aliases: ['api2'],
    });
    expect((await inspectNetwork(`front-${tag}`)).Containers[id]).toMatchObject({
      MacAddress: mac,
      Aliases: ['api'],
    });
    await ok(['rm', '-f', id]);
    const plain = await ok(['run', '-d', 'busybox', 'sleep', '600']);
    const plainDoc = await inspectContainer(plain);
    expect(plainDoc.HostConfig.NetworkMode).toBe('bridge');
    expect(Object.keys(plainDoc.NetworkSettings.Networks)).toEqual(['bridge']);
    expect(plainDoc.NetworkSettings.Networks.bridge).toMatchObject({
      NetworkID: (await inspectNetwork('bridge')).Id,
      IPAddress: expect.stringMatching(new RegExp(`^${subnetPrefix.replaceAll('.', '\\.')}\\.`)),
    });
    await ok(['rm', '-f', plain]);
  });

  it('connects a running container to another network and disconnects it (names follow)', async () => {
    const web = await runDetached(['--name', `svc-${tag}`, '--network', `back-${tag}`], ...serve('on-back'));
    const cli = await runDetached(['--name', `cli-${tag}`, '--network', `front-${tag}`], ...SLEEP);
    const before = await run(['exec', cli, 'sh', '-c', FETCH(`http://svc-${tag}/`, 1)]);
    expect(before.stdout).toBe('');
    await ok(['network', 'connect', '--alias', `cli2-${tag}`, `back-${tag}`, `cli-${tag}`]);
    const after = await run([
      'exec',
      cli,
      'sh',
      '-c',
      `ip -o -4 addr show eth1; ${FETCH(`http://svc-${tag}/`)}`,
    ]);
    expect(after.stdout).toContain('on-back\n');
    expect(after.stdout).toMatch(/eth1\s+inet 10\.71\.200\./);
    expect((await run(['exec', web, 'ping', '-c', '1', '-W', '2', `cli2-${tag}`])).code).toBe(0);
    const again = await run(['network', 'connect', `back-${tag}`, `cli-${tag}`]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists in network');
    await ok(['network', 'disconnect', `back-${tag}`, `cli-${tag}`]);
    const gone = await run(['exec', cli, 'sh', '-c', `ip -o link show eth1 || nslookup svc-${tag}`]);
    expect(gone.code).not.toBe(0);
    expect(gone.stdout).not.toContain('eth1');
    expect(gone.stdout + gone.stderr).toContain('NXDOMAIN');
    await ok(['rm', '-f', web, cli]);
  });

  it('kill -9 during connect: disconnect and rm then leave no veth or lease', async () => {
    const cli = await ok(['run', '-d', '--network', `front-${tag}`, 'busybox', 'sleep', '600']);
    const bridge = (await inspectNetwork(`back-${tag}`)).Options['com.docker.network.bridge.name'] as string;
    for (const delayMs of [150, 300, 450, 600]) {
      await run(['network', 'connect', `back-${tag}`, cli]).then(() => undefined);
      await run(['network', 'disconnect', `back-${tag}`, cli]);
      await koker(['--root', root, 'network', 'connect', `back-${tag}`, cli], { env, timeoutMs: delayMs });
      // Killed at some step (or finished): a disconnect removes whatever was made.
      await run(['network', 'disconnect', `back-${tag}`, cli]);
      expect((await inspectNetwork(`back-${tag}`)).Containers[cli]).toBeUndefined();
    }
    await ok(['rm', '-f', cli]);
    expect(must('ip', ['-o', 'link', 'show', 'master', bridge]).trim()).toBe('');
  });

  it('kill -9 at each step of network create: the next command removes the half-made bridge, or keeps a defined network', async () => {
    for (const [n, step] of [
      'network-create:reserved',
      'network-create:bridge',
      'network-create:defined',
    ].entries()) {
      const bridge = `kc${tag}${n}`;
      const name = `crash-${tag}-${n}`;
      const killed = await koker(
        ['--root', root, 'network', 'create', '--opt', `com.docker.network.bridge.name=${bridge}`, name],
        { env: { ...env, KOKER_CRASH_AT: step } },
      );
      expect(killed.signal, `${step}: ${killed.stderr}`).toBe('SIGKILL');
      const listed = await ok(['network', 'ls', '--filter', `name=${name}`, '-q']);
      if (step === 'network-create:defined') {
        // The definition was written: the network exists, whole, and is removed as any other.
        expect(listed).not.toBe('');
        expect(traces(bridge).length).toBeGreaterThan(0);
        await ok(['network', 'rm', name]);
      } else {
        expect(listed).toBe('');
      }
      expect(traces(bridge), step).toEqual([]);
    }
  });

  it('refuses to remove a network with containers; rm and prune then leave no bridge, veth, rule or lease', async () => {
    const front = await inspectNetwork(`front-${tag}`);
    const bridge = front.Options['com.docker.network.bridge.name'] as string;
    const refused = await run(['network', 'rm', `front-${tag}`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('has active endpoints');
    const all = (await run(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean);
    await ok(['rm', '-f', ...all]);
    expect(await ok(['network', 'rm', `front-${tag}`])).toBe(`front-${tag}`);
    expect(traces(bridge)).toEqual([]);
    const bridges = await Promise.all(
      [`back-${tag}`, `internal-${tag}`].map(
        async (n) => (await inspectNetwork(n)).Options['com.docker.network.bridge.name'] as string,
      ),
    );
    const pruned = await ok(['network', 'prune', '-f']);
    expect(pruned).toContain(`back-${tag}`);
    expect(pruned).toContain(`internal-${tag}`);
    for (const b of bridges) expect(traces(b)).toEqual([]);
    expect(await ok(['network', 'ls', '-q', '--filter', 'type=custom'])).toBe('');
  });

  it('starts 50 containers over 5 networks at once, all with distinct addresses in their network', async () => {
    const names = Array.from({ length: 5 }, (_, i) => `many${i}-${tag}`);
    for (const name of names) await createNetwork(name);
    const subnets = await Promise.all(
      names.map(async (n) => (await inspectNetwork(n)).IPAM.Config[0]?.Subnet as string),
    );
    expect(new Set(subnets).size).toBe(5);
    const jobs = Array.from({ length: 50 }, (_, i) => async () => {
      const network = names[i % 5] as string;
      const id = await ok(['run', '-d', '--network', network, 'busybox', 'sleep', '600']);
      return { network, ip: await ipOf(id) };
    });
    const started = await inBatches(jobs, 8);
    expect(new Set(started.map((s) => s.ip)).size).toBe(50);
    for (const { network, ip } of started) {
      const prefix = (subnets[names.indexOf(network)] as string).split('.').slice(0, 3).join('.');
      expect(ip.startsWith(`${prefix}.`)).toBe(true);
    }
    const all = (await run(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean);
    await ok(['rm', '-f', ...all]);
    await ok(['network', 'rm', ...names]);
  });
});
