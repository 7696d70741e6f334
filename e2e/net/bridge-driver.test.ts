import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, newContainerId, type ContainerId, type NetworkRequest } from '@koker/core';
import { inNetns, must, sh, startInNetns, wgetFrom } from './helpers/host-commands.js';
import { createNetFixture, freeSubnetPrefix, type NetFixture } from './helpers/net-fixture.js';
import { createRemoteHost, type RemoteHost } from './helpers/remote-host.js';
import { HOST_BRIDGES_DIR } from '@koker/net-bridge';

// The bridge driver against the real kernel: namespaces, veths, a bridge, iptables. Traffic only
// goes to this machine's own namespaces: containers, and a "remote host" the test creates.

const request = (name: string, extra: Partial<NetworkRequest> = {}): NetworkRequest => ({
  mode: 'bridge',
  hostname: name,
  name,
  ports: [],
  dns: [],
  ...extra,
});

let net: NetFixture;
let remote: RemoteHost;
let www: string;
const servers: { stop: () => void }[] = [];

/** A TCP port nothing on the host listens on now (the kernel picks it). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(() => {
  net = createNetFixture();
  remote = createRemoteHost(freeSubnetPrefix([net.subnetPrefix]));
  // Web roots: a page, and on the remote a CGI script that answers with the caller's address.
  www = join(net.root, 'www');
  mkdirSync(join(www, 'cgi-bin'), { recursive: true });
  writeFileSync(join(www, 'index.html'), 'hello from a koker container\n');
  writeFileSync(
    join(www, 'cgi-bin', 'whoami'),
    '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "$REMOTE_ADDR"\n',
    {
      mode: 0o755,
    },
  );
  servers.push(startInNetns(remote.netns, 'httpd', ['-f', '-p', '8000', '-h', www]));
});

afterAll(async () => {
  for (const server of servers) server.stop();
  try {
    await net?.destroy();
  } finally {
    remote?.destroy();
  }
  // Nothing of this suite is left: no veth or bridge, no rule, no namespace mount, no lease.
  expect(must('ip', ['-o', 'link', 'show'])).not.toContain(net.bridge);
  expect(must('iptables-save', [])).not.toContain(net.bridge);
  expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(net.root);
});

describe('the bridge driver', () => {
  it('gives a container eth0 with an address, lo up and a default route via the bridge, logging each step', async () => {
    const id = newContainerId();
    const attachment = await net.driver.attach(id, request('first'));
    try {
      expect(attachment).toMatchObject({
        mode: 'bridge',
        gateway: `${net.subnetPrefix}.1`,
        prefixLength: 24,
        bridge: net.bridge,
      });
      const netns = attachment.netnsPath as string;
      expect(existsSync(netns)).toBe(true);
      const addresses = inNetns(netns, 'ip', ['-o', '-4', 'addr']).stdout;
      expect(addresses).toContain(`eth0    inet ${attachment.ipAddress}/24`);
      expect(addresses).toContain('lo    inet 127.0.0.1/8');
      expect(inNetns(netns, 'ip', ['route']).stdout).toContain(`default via ${net.subnetPrefix}.1 dev eth0`);
      expect(inNetns(netns, 'ping', ['-c', '1', '-W', '2', `${net.subnetPrefix}.1`]).code).toBe(0);
      expect(attachment.hostsEntries.at(-1)).toBe(`${attachment.ipAddress}\tfirst`);
      const log = net.log();
      for (const step of [
        `Check bridge is up or not bridge=${net.bridge}`,
        `Setup virtual ethernet netns=${netns} peer=eth0 virt=veth${id.slice(0, 11)}`,
        `Set the master of the link device link=veth${id.slice(0, 11)} master=${net.bridge}`,
        `Mount new network namespace netns=${netns}`,
        'Call syscall unshare CLONE_NEWNET',
        `Add IP address to the ip device ip=${attachment.ipAddress}/24 link=eth0`,
        `Set gateway for the link device gateway=${net.subnetPrefix}.1 link=eth0`,
        'Enable the link device link=lo',
        'Append POSTROUTING rule',
      ]) {
        expect(log).toContain(step);
      }
    } finally {
      await net.driver.detach(id);
    }
    expect(existsSync(attachment.netnsPath as string)).toBe(false);
    expect(must('ip', ['-o', 'link', 'show'])).not.toContain(`veth${id.slice(0, 11)}`);
  });

  it('lets two containers on the bridge reach each other (ping, and TCP with httpd and nc)', async () => {
    const a = newContainerId();
    const b = newContainerId();
    const [one, two] = await Promise.all([
      net.driver.attach(a, request('one')),
      net.driver.attach(b, request('two')),
    ]);
    try {
      expect(one.ipAddress).not.toBe(two.ipAddress);
      expect(
        inNetns(one.netnsPath as string, 'ping', ['-c', '1', '-W', '2', two.ipAddress as string]).code,
      ).toBe(0);
      const httpd = startInNetns(two.netnsPath as string, 'httpd', ['-f', '-p', '80', '-h', www]);
      servers.push(httpd);
      const page = await wgetFrom(one.netnsPath, `http://${two.ipAddress}/`);
      expect(page.stdout).toBe('hello from a koker container\n');
      httpd.stop();
      // A raw TCP stream with nc: a listener in one, a client in the other.
      const listener = spawn('nsenter', [`--net=${one.netnsPath}`, 'busybox', 'nc', '-l', '-p', '7000'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      servers.push({ stop: () => listener.kill('SIGKILL') });
      let received = '';
      listener.stdout.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
      for (let i = 0; i < 30 && !received; i++) {
        sh('sh', [
          '-c',
          `echo over-tcp | nsenter --net=${two.netnsPath} busybox nc -w 1 ${one.ipAddress} 7000`,
        ]);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(received).toBe('over-tcp\n');
      listener.kill('SIGKILL');
    } finally {
      await Promise.all([net.driver.detach(a), net.driver.detach(b)]);
    }
  });

  it("reaches a remote host through NAT: the remote sees the host's address, not the container's", async () => {
    const id = newContainerId();
    const attachment = await net.driver.attach(id, request('client'));
    try {
      const seen = await wgetFrom(attachment.netnsPath, `http://${remote.address}:8000/cgi-bin/whoami`);
      expect(seen.code).toBe(0);
      // busybox httpd listens on an IPv6 socket: IPv4 peers show as [::ffff:a.b.c.d].
      const peer = seen.stdout.trim().replace(/^\[::ffff:(.*)\]$/, '$1');
      expect(peer).toBe(remote.hostAddress);
      expect(peer).not.toBe(attachment.ipAddress);
    } finally {
      await net.driver.detach(id);
    }
  });

  it('publishes a port: reachable from the host at 127.0.0.1 and from the remote at the host address', async () => {
    const id = newContainerId();
    const hostPort = await freePort();
    const attachment = await net.driver.attach(
      id,
      request('web', {
        ports: [
          { hostIp: '0.0.0.0', hostPort, containerPort: 80, protocol: 'tcp' },
          { hostIp: '0.0.0.0', hostPort: 0, containerPort: 80, protocol: 'tcp' },
        ],
      }),
    );
    try {
      const [fixed, random] = attachment.ports;
      expect(fixed?.hostPort).toBe(hostPort);
      expect(random?.hostPort).toBeGreaterThan(0);
      servers.push(startInNetns(attachment.netnsPath as string, 'httpd', ['-f', '-p', '80', '-h', www]));
      const fromHost = await wgetFrom(undefined, `http://127.0.0.1:${hostPort}/`);
      expect(fromHost.stdout).toBe('hello from a koker container\n');
      const fromRemote = await wgetFrom(remote.netns, `http://${remote.hostAddress}:${hostPort}/`);
      expect(fromRemote.stdout).toBe('hello from a koker container\n');
      const randomPort = await wgetFrom(undefined, `http://127.0.0.1:${random?.hostPort}/`);
      expect(randomPort.stdout).toBe('hello from a koker container\n');
      // Every rule of the container carries its comment; the same host port cannot be taken twice.
      expect(
        must('iptables-save', ['-t', 'nat'])
          .split('\n')
          .filter((l) => l.includes(`koker:${id}:`)),
      ).toHaveLength(4);
      const other = newContainerId();
      await expect(
        net.driver.attach(
          other,
          request('clash', {
            ports: [{ hostIp: '127.0.0.1', hostPort, containerPort: 80, protocol: 'tcp' }],
          }),
        ),
      ).rejects.toThrow(ConflictError);
      expect(await net.driver.list()).not.toContain(other);
    } finally {
      await net.driver.detach(id);
    }
    expect(must('iptables-save', ['-t', 'nat'])).not.toContain(`koker:${id}:`);
    expect((await wgetFrom(undefined, `http://127.0.0.1:${hostPort}/`, 1)).code).not.toBe(0);
  });

  it('refuses a host port that a host process listens on', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as AddressInfo;
    try {
      const id = newContainerId();
      await expect(
        net.driver.attach(
          id,
          request('busy', {
            ports: [{ hostIp: '0.0.0.0', hostPort: port, containerPort: 80, protocol: 'tcp' }],
          }),
        ),
      ).rejects.toThrow('already in use on this host');
      expect(await net.driver.list()).not.toContain(id);
    } finally {
      busy.close();
    }
  });

  it('gives 50 containers attached in parallel 50 distinct addresses, and releases them all', async () => {
    const ids = Array.from({ length: 50 }, () => newContainerId());
    const attachments = await Promise.all(ids.map((id, i) => net.driver.attach(id, request(`par${i}`))));
    try {
      const addresses = new Set(attachments.map((a) => a.ipAddress));
      expect(addresses.size).toBe(50);
      for (const reserved of ['0', '1', '255'])
        expect(addresses.has(`${net.subnetPrefix}.${reserved}`)).toBe(false);
      expect(new Set(await net.driver.list())).toEqual(new Set(ids));
    } finally {
      await Promise.all(ids.map((id) => net.driver.detach(id)));
    }
    expect(await net.driver.list()).toEqual([]);
    const leases = JSON.parse(readFileSync(join(HOST_BRIDGES_DIR, net.bridge, 'leases.json'), 'utf8')) as {
      leases: unknown[];
    };
    expect(leases.leases).toEqual([]);
  });

  it('never gives one address to two koker processes attaching at the same time', async () => {
    const worker = fileURLToPath(new URL('./helpers/attach-worker.mjs', import.meta.url));
    const children = Array.from({ length: 4 }, () =>
      spawn(process.execPath, [worker, JSON.stringify(net.config), '6'], {
        stdio: ['pipe', 'pipe', 'inherit'],
      }),
    );
    const outputs = await Promise.all(
      children.map(
        (child) =>
          new Promise<{ id: ContainerId; ip: string }[]>((resolve, reject) => {
            let text = '';
            child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
              text += chunk;
              if (text.includes('\n')) resolve(JSON.parse(text) as { id: ContainerId; ip: string }[]);
            });
            child.on('exit', (code) => reject(new Error(`worker exited with ${code} before attaching`)));
          }),
      ),
    );
    const ips = outputs.flat().map((o) => o.ip);
    expect(ips).toHaveLength(24);
    expect(new Set(ips).size).toBe(24);
    await Promise.all(
      children.map((child) => {
        const exited = new Promise((resolve) => child.on('exit', resolve));
        child.stdin.end();
        return exited;
      }),
    );
    expect(await net.driver.list()).toEqual([]);
  });

  it('reclaims the lease, rules and record of a container whose process and namespace are gone', async () => {
    const worker = fileURLToPath(new URL('./helpers/attach-worker.mjs', import.meta.url));
    const child = spawn(process.execPath, [worker, JSON.stringify(net.config), '1'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const [dead] = await new Promise<{ id: ContainerId; ip: string }[]>((resolve) =>
      child.stdout.setEncoding('utf8').once('data', (text: string) => resolve(JSON.parse(text))),
    );
    child.kill('SIGKILL'); // a crash: nothing is cleaned up
    await new Promise((resolve) => child.on('exit', resolve));
    const deadId = (dead as { id: ContainerId }).id;
    expect(await net.driver.list()).toContain(deadId);
    // As after a reboot: the namespace is gone too (its veth pair with it); the lease is still held.
    must('umount', [join(net.config.runRoot, 'netns', deadId)]);
    const id = newContainerId();
    await net.driver.attach(id, request('after-crash'));
    try {
      expect(await net.driver.list()).not.toContain(deadId);
      expect(net.log()).toContain(
        `Reclaim the network of a container that is gone container=${deadId.slice(0, 12)}`,
      );
      const leases = readFileSync(join(HOST_BRIDGES_DIR, net.bridge, 'leases.json'), 'utf8');
      expect(leases).not.toContain(deadId);
    } finally {
      await net.driver.detach(id);
    }
  });

  it('detaches a crashed container found by list() (garbage collection), twice without error', async () => {
    const worker = fileURLToPath(new URL('./helpers/attach-worker.mjs', import.meta.url));
    const child = spawn(process.execPath, [worker, JSON.stringify(net.config), '1'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const [crashed] = await new Promise<{ id: ContainerId; ip: string }[]>((resolve) =>
      child.stdout.setEncoding('utf8').once('data', (text: string) => resolve(JSON.parse(text))),
    );
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    const id = (crashed as { id: ContainerId }).id;
    expect(must('ip', ['-o', 'link', 'show'])).toContain(`veth${id.slice(0, 11)}`);
    for (const gone of await net.driver.list()) await net.driver.detach(gone);
    await net.driver.detach(id);
    expect(must('ip', ['-o', 'link', 'show'])).not.toContain(`veth${id.slice(0, 11)}`);
    expect(existsSync(join(net.config.runRoot, 'netns', id))).toBe(false);
  });
});

describe('--network none and host', () => {
  it('none: nothing for the launcher to join (it makes the namespace itself), and nothing to clean up', async () => {
    const id = newContainerId();
    const attachment = await net.driver.attach(id, { ...request('alone'), mode: 'none' });
    expect(attachment.netnsPath).toBeUndefined();
    expect(attachment.ipAddress).toBeUndefined();
    expect(attachment.hostsEntries.at(-1)).toBe('127.0.1.1\talone');
    expect(await net.driver.list()).not.toContain(id);
    await net.driver.detach(id);
  });

  it("host: no namespace to join, the host's resolv.conf and hosts", async () => {
    const attachment = await net.driver.attach(newContainerId(), { ...request('h'), mode: 'host' });
    expect(attachment.netnsPath).toBeUndefined();
    expect(attachment.resolvConf.trim()).toBe(readFileSync('/etc/resolv.conf', 'utf8').trim());
    expect(attachment.hostsEntries.join('\n').trim()).toBe(readFileSync('/etc/hosts', 'utf8').trim());
  });

  it('uses --dns servers in the container resolv.conf', async () => {
    const id = newContainerId();
    const attachment = await net.driver.attach(id, request('dns', { dns: ['192.0.2.53'] }));
    await net.driver.detach(id);
    expect(attachment.resolvConf.split('\n')[0]).toBe('nameserver 192.0.2.53');
  });
});
