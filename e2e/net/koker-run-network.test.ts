import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KoffiSyscalls } from '@koker/host';
import { createLogger } from '@koker/log';
import { loadConfig } from '@koker/core';
import { BridgeNetworkDriver } from '@koker/net-bridge';
import { koker } from '../helpers/koker.js';
import { must, wgetFrom } from './helpers/host-commands.js';
import { freeSubnetPrefix } from './helpers/net-fixture.js';

// Container networking through the `koker` command: busybox containers on a bridge of the
// test's own (a config file names it), published ports, `koker port`, none and host.

const SCRIPT = fileURLToPath(new URL('../../scripts/build-busybox-image.sh', import.meta.url));
const WEB = (text: string) =>
  `mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 80 -h /www`;

let root: string;
let env: NodeJS.ProcessEnv;
let bridge: string;
let subnetPrefix: string;

const run = (args: readonly string[]) => koker(['--root', root, ...args], { env });

async function runDetached(args: readonly string[]): Promise<string> {
  const result = await run(['run', '-d', ...args]);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim();
}

async function ipOf(container: string): Promise<string> {
  const inspect = await run(['inspect', container]);
  const [document] = JSON.parse(inspect.stdout) as { NetworkSettings: { IPAddress: string } }[];
  return (document as { NetworkSettings: { IPAddress: string } }).NetworkSettings.IPAddress;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  root = mkdtempSync('/tmp/koker-e2e-netrun-');
  bridge = `koker-t${randomBytes(3).toString('hex')}`;
  subnetPrefix = freeSubnetPrefix();
  const configFile = join(root, 'config.json');
  writeFileSync(configFile, JSON.stringify({ network: { bridge, subnet: `${subnetPrefix}.0/24` } }));
  env = { KOKER_CONFIG: configFile };
  const archive = join(root, 'busybox.tar');
  execFileSync(SCRIPT, [archive, 'busybox:latest']);
  const loaded = await run(['load', '-i', archive]);
  expect(loaded.code, loaded.stderr).toBe(0);
});

afterAll(async () => {
  try {
    // Every container under this root is the suite's own.
    const all = (await run(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean);
    if (all.length > 0) await run(['rm', '-f', ...all]);
    // The bridge outlives containers (as docker0 does): the test removes its own.
    const config = { ...loadConfig({ env, flags: { root } }) };
    const driver = new BridgeNetworkDriver({
      config,
      log: createLogger({ level: 'silent', format: 'console' }),
      syscalls: new KoffiSyscalls(),
    });
    for (const id of await driver.list()) await driver.detach(id);
    await driver.removeBridge();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  expect(must('ip', ['-o', 'link', 'show'])).not.toContain(bridge);
  expect(must('iptables-save', [])).not.toContain(bridge);
});

describe('koker run on the bridge', () => {
  it('gives two containers addresses on the bridge from which they reach each other (ping, TCP)', async () => {
    const web = await runDetached([
      '--name',
      `web-${randomBytes(2).toString('hex')}`,
      'busybox',
      'sh',
      '-c',
      WEB('hello-from-web'),
    ]);
    const ip = await ipOf(web);
    expect(ip.startsWith(`${subnetPrefix}.`)).toBe(true);
    const client = await run([
      'run',
      '--rm',
      'busybox',
      'sh',
      '-c',
      `ping -c 1 -W 2 ${ip} >/dev/null && for i in $(seq 50); do wget -q -O - http://${ip}/ && exit 0; sleep 0.1; done; exit 1`,
    ]);
    expect(client.stdout).toBe('hello-from-web\n');
    expect(client.code).toBe(0);
  });

  it('writes /etc/hosts with the container address and name, /etc/hostname, and resolv.conf', async () => {
    const name = `named-${randomBytes(2).toString('hex')}`;
    const result = await run([
      'run',
      '--rm',
      '--name',
      name,
      '--hostname',
      'box',
      '--dns',
      '192.0.2.53',
      'busybox',
      'sh',
      '-c',
      'cat /etc/hostname /etc/resolv.conf /etc/hosts; ip -o -4 addr show eth0',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const address = /inet (\d+\.\d+\.\d+\.\d+)\/24/.exec(result.stdout)?.[1];
    expect(address?.startsWith(`${subnetPrefix}.`)).toBe(true);
    expect(result.stdout).toContain('box\n');
    expect(result.stdout).toContain('nameserver 192.0.2.53\n');
    expect(result.stdout).toContain(`${address}\tbox ${name}\n`);
  });

  it('publishes a busybox httpd with -p HOST:80, shown by koker port, and removes it with the container', async () => {
    const hostPort = await freePort();
    const name = `pub-${randomBytes(2).toString('hex')}`;
    const id = await runDetached([
      '--name',
      name,
      '-p',
      `${hostPort}:80`,
      '-p',
      '80',
      'busybox',
      'sh',
      '-c',
      WEB('published'),
    ]);
    const page = await wgetFrom(undefined, `http://127.0.0.1:${hostPort}/`, 50);
    expect(page.stdout).toBe('published\n');
    const ports = await run(['port', name]);
    expect(ports.code, ports.stderr).toBe(0);
    const lines = ports.stdout.trim().split('\n');
    expect(lines[0]).toBe(`80/tcp -> 0.0.0.0:${hostPort}`);
    const random = Number(/^80\/tcp -> 0\.0\.0\.0:(\d+)$/.exec(lines[1] ?? '')?.[1]);
    expect(random).toBeGreaterThan(0);
    expect((await wgetFrom(undefined, `http://127.0.0.1:${random}/`, 50)).stdout).toBe('published\n');
    expect((await run(['port', name, '80'])).stdout).toBe(`0.0.0.0:${hostPort}\n0.0.0.0:${random}\n`);
    expect(must('iptables-save', ['-t', 'nat'])).toContain(`koker:${id}:`);
    const removed = await run(['rm', '-f', name]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(must('iptables-save', ['-t', 'nat'])).not.toContain(`koker:${id}:`);
    expect((await wgetFrom(undefined, `http://127.0.0.1:${hostPort}/`, 1)).code).not.toBe(0);
  });
});

describe('koker run --network none and host', () => {
  it('none: only lo, up', async () => {
    const result = await run(['run', '--rm', '--network', 'none', 'busybox', 'ip', '-o', 'link']);
    expect(result.code, result.stderr).toBe(0);
    const links = result.stdout.trim().split('\n');
    expect(links).toHaveLength(1);
    expect(links[0]).toMatch(/^1: lo: <LOOPBACK,UP,LOWER_UP>/);
  });

  it("host: the host's own links (its uplink, with the same index)", async () => {
    const uplink = /dev (\S+)/.exec(must('ip', ['-4', 'route', 'show', 'default']))?.[1] as string;
    const index = /^(\d+):/.exec(must('ip', ['-o', 'link', 'show', uplink]))?.[1];
    const result = await run(['run', '--rm', '--network', 'host', 'busybox', 'ip', '-o', 'link']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`${index}: ${uplink}:`);
  });
});
