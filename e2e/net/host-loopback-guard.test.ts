import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KoffiSyscalls } from '@koker/host';
import { createLogger } from '@koker/log';
import { loadConfig } from '@koker/core';
import { BridgeNetworkDriver } from '@koker/net-bridge';
import { DEBIAN_IMAGE, debianImageArchive } from '../fixtures/debian-image.js';
import { koker } from '../helpers/koker.js';
import { installStaticProgram, staticProgramBase64 } from '../helpers/static-program.js';
import { must, wgetFrom } from './helpers/host-commands.js';
import { freeSubnetPrefix } from './helpers/net-fixture.js';

// The bridge sets route_localnet (so the host's own connections to 127.0.0.1:<published port>
// can be DNAT-ed into a container), which would also let a container's root, with CAP_NET_RAW,
// hand-write frames to 127.0.0.1 through the gateway and reach what the host serves only there
// (CVE-2020-8558). The INPUT guard drops them. Through the real `koker run` on a bridge of the
// test's own, against the real kernel and firewall.

const SCRIPT = fileURLToPath(new URL('../../scripts/build-busybox-image.sh', import.meta.url));
const WEB = 'mkdir -p /www && echo published > /www/index.html && exec httpd -f -p 80 -h /www';

let root: string;
let env: NodeJS.ProcessEnv;
let bridge: string;
let subnetPrefix: string;
let gateway: string;
let probe: string;

const run = (args: readonly string[], input?: string) =>
  koker(['--root', root, ...args], { env, ...(input !== undefined ? { input } : {}), timeoutMs: 120_000 });

/** A TCP server on the host counting the connections it accepts. */
async function listen(host: string): Promise<{ port: number; accepted: () => number; server: Server }> {
  let count = 0;
  const server = createServer((socket) => {
    count++;
    socket.end('host service\n');
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { port: (server.address() as AddressInfo).port, accepted: () => count, server };
}

const close = (server: Server) => new Promise((resolve) => server.close(resolve));

/** The guard rule as iptables-save prints it, without the leading `-A INPUT`. */
function guardRule(): string[] {
  const line = must('iptables-save', ['-t', 'filter'])
    .split('\n')
    .find((l) => l.startsWith('-A INPUT') && l.includes(`koker:${bridge}:localhost-guard`));
  if (!line) throw new Error(`no localhost guard for ${bridge}`);
  // `--comment "koker:...:localhost-guard"`: no spaces inside the quotes, so a split is enough.
  return line.replace(/"/g, '').split(' ').slice(2);
}

/** A DNS server answering every A question with 192.0.2.7 (and AAAA with no answer). */
async function dnsServer(host: string): Promise<Socket> {
  const socket = createSocket('udp4');
  socket.on('message', (query, from) => {
    let end = 12;
    while (end < query.length && query[end] !== 0) end += (query[end] as number) + 1;
    const question = query.subarray(12, end + 5);
    const isA = query.readUInt16BE(end + 1) === 1;
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2);
    header.writeUInt16BE(0x8180, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(isA ? 1 : 0, 6);
    const answer = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7]);
    socket.send(Buffer.concat([header, question, ...(isA ? [answer] : [])]), from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(53, host, resolve));
  return socket;
}

beforeAll(async () => {
  root = mkdtempSync('/tmp/koker-e2e-localnet-');
  bridge = `koker-g${randomBytes(3).toString('hex')}`;
  subnetPrefix = freeSubnetPrefix();
  gateway = `${subnetPrefix}.1`;
  const configFile = join(root, 'config.json');
  writeFileSync(configFile, JSON.stringify({ network: { bridge, subnet: `${subnetPrefix}.0/24` } }));
  env = { KOKER_CONFIG: configFile };
  const busybox = join(root, 'busybox.tar');
  execFileSync(SCRIPT, [busybox, 'busybox:latest']);
  for (const archive of [busybox, await debianImageArchive(root)]) {
    const loaded = await run(['load', '-i', archive]);
    expect(loaded.code, loaded.stderr).toBe(0);
  }
  probe = staticProgramBase64(new URL('./localnet-probe.c', import.meta.url));
  // The first container makes the bridge, and with it the gateway address.
  const first = await run(['run', '--rm', 'busybox', 'true']);
  expect(first.code, first.stderr).toBe(0);
}, 600_000);

afterAll(async () => {
  try {
    const all = (await run(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean);
    if (all.length > 0) await run(['rm', '-f', ...all]);
    // The bridge outlives containers (as docker0 does): the test removes its own.
    const driver = new BridgeNetworkDriver({
      config: { ...loadConfig({ env, flags: { root } }) },
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

/** Runs the probe in a default container: `GATEWAY DST PORT` for each target, one answer a line. */
async function probeFrom(targets: readonly (readonly [string, number])[]): Promise<string[]> {
  const script = [
    installStaticProgram('/tmp/probe'),
    ...targets.map(([dst, port]) => `/tmp/probe ${gateway} ${dst} ${port}`),
  ].join(' && ');
  const result = await run(['run', '--rm', '-i', 'busybox', 'sh', '-c', script], probe);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim().split('\n');
}

describe("the bridge's guard of the host's 127.0.0.1 services", () => {
  it('drops frames a default container writes to 127.0.0.1 through the gateway; the gateway address does not serve them either', async () => {
    const local = await listen('127.0.0.1');
    const onGateway = await listen(gateway);
    try {
      // 127.0.0.1: dropped. The gateway address, same port: the host's stack answers (RST), no
      // service. A port the host serves on the gateway address: reached, as on Docker (where
      // host-gateway is how containers reach such services), which shows the frames are sound.
      expect(
        await probeFrom([
          ['127.0.0.1', local.port],
          [gateway, local.port],
          [gateway, onGateway.port],
        ]),
      ).toEqual(['silent', 'rst', 'synack']);
      const connect = await run([
        'run',
        '--rm',
        'busybox',
        'sh',
        '-c',
        `nc -w 2 ${gateway} ${local.port} </dev/null && echo connected || echo refused; ` +
          `nc -w 2 127.0.0.1 ${local.port} </dev/null && echo connected || echo refused`,
      ]);
      expect(connect.stdout).toBe('refused\nrefused\n');
      expect(local.accepted()).toBe(0);

      // Without the guard the same frames reach the host's 127.0.0.1 service: what it prevents.
      const rule = guardRule();
      must('iptables', ['-D', 'INPUT', ...rule]);
      try {
        expect(await probeFrom([['127.0.0.1', local.port]])).toEqual(['synack']);
      } finally {
        must('iptables', ['-I', 'INPUT', '1', ...rule]);
      }
      expect(await probeFrom([['127.0.0.1', local.port]])).toEqual(['silent']);
    } finally {
      await close(local.server);
      await close(onGateway.server);
    }
  });

  it('keeps published ports and DNS working', async () => {
    const name = `pub-${randomBytes(2).toString('hex')}`;
    const started = await run(['run', '-d', '--name', name, '-p', '80', 'busybox', 'sh', '-c', WEB]);
    expect(started.code, started.stderr).toBe(0);
    const port = /:(\d+)$/.exec((await run(['port', name, '80'])).stdout.trim())?.[1];
    // The host's connection to 127.0.0.1 is DNAT-ed into the container; its answers pass the guard.
    expect((await wgetFrom(undefined, `http://127.0.0.1:${port}/`, 50)).stdout).toBe('published\n');
    expect((await run(['rm', '-f', name])).code).toBe(0);

    const dns = await dnsServer(gateway);
    try {
      const lookup = await run([
        'run',
        '--rm',
        '--dns',
        gateway,
        'busybox',
        'nslookup',
        '-type=a',
        'guard.koker.test',
      ]);
      expect(lookup.stdout, lookup.stderr).toMatch(/Address: 192\.0\.2\.7/);
    } finally {
      dns.close();
    }
  });

  it("lets Debian's ping reach the gateway as root and as nobody, in a namespace opened to ICMP datagram sockets", async () => {
    const ping = `ping -c 1 -W 5 ${gateway} >/dev/null && echo "$(id -un) pinged"; cat /proc/sys/net/ipv4/ping_group_range`;
    for (const [flags, who] of [
      [[], 'root'],
      [['-u', 'nobody'], 'nobody'],
    ] as const) {
      const result = await run(['run', '--rm', ...flags, DEBIAN_IMAGE, 'sh', '-c', ping]);
      expect(result.stdout, result.stderr).toBe(`${who} pinged\n0\t2147483647\n`);
    }
  });
});
