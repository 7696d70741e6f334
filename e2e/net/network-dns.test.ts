import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_BRIDGES_DIR } from '@koker/net-bridge';
import { koker } from '../helpers/koker.js';
import { releaseKokerRoot } from '../helpers/koker-root.js';

// The name resolver of user networks (koker-dns, ADR 0016) through the `koker` command: DNS
// queries (busybox nslookup asks the server, never /etc/hosts) for names, aliases, short IDs and
// addresses; nothing across networks; other names forwarded to an upstream server of the test's
// own on 127.0.0.153 (config `network.dns`); hostile packets; and the resolver gone with the last
// named container.

const SCRIPT = fileURLToPath(new URL('../../scripts/build-busybox-image.sh', import.meta.url));
const UPSTREAM = '127.0.0.153';
const DNS_DIR = join(HOST_BRIDGES_DIR, '..', 'dns');
const DNS_LOCK = join(HOST_BRIDGES_DIR, '..', 'dns.lock');
const WEB = 'mkdir -p /www && echo by-dns > /www/index.html && exec httpd -f -p 80 -h /www';

let dir: string;
let root: string;
let env: NodeJS.ProcessEnv;
let upstream: Socket;
const asked: string[] = [];
const tag = randomBytes(2).toString('hex');
const front = `dnsf-${tag}`;
const back = `dnsb-${tag}`;

const run = (args: readonly string[]) => koker(['--root', root, ...args], { env });

async function ok(args: readonly string[]): Promise<string> {
  const result = await run(args);
  expect(result.code, `koker ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout.trim();
}

/** busybox nslookup in a new container on `network`. */
const nslookup = (network: string, ...args: string[]) =>
  run(['run', '--rm', '--network', network, 'busybox', 'nslookup', ...args]);

/** A DNS server: A 192.0.2.`last` for names under upstream.test, NXDOMAIN for others; records what it is asked. */
async function upstreamServer(address = UPSTREAM, last = 7): Promise<Socket> {
  const socket = createSocket('udp4');
  socket.on('message', (query, from) => {
    if (query.length < 17) return;
    let end = 12;
    const labels: string[] = [];
    while (end < query.length && query[end] !== 0) {
      labels.push(query.subarray(end + 1, end + 1 + (query[end] as number)).toString());
      end += (query[end] as number) + 1;
    }
    const name = labels.join('.').toLowerCase();
    asked.push(name);
    const known = name.endsWith('.upstream.test');
    const isA = query.readUInt16BE(end + 1) === 1;
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2);
    header.writeUInt16BE(known ? 0x8180 : 0x8183, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(known && isA ? 1 : 0, 6);
    const answer = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, last]);
    const reply = Buffer.concat([header, query.subarray(12, end + 5), ...(known && isA ? [answer] : [])]);
    socket.send(reply, from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(53, address, resolve));
  return socket;
}

/** The PID holding the resolver's lock (the running koker-dns), from /proc/locks. */
function resolverPid(): number | undefined {
  if (!existsSync(DNS_LOCK)) return undefined;
  const ino = statSync(DNS_LOCK).ino;
  const line = readFileSync('/proc/locks', 'utf8')
    .split('\n')
    .find((l) => / FLOCK /.test(l) && l.includes(`:${ino} `));
  return line ? Number(line.trim().split(/\s+/)[4]) : undefined;
}

async function gatewayOf(network: string): Promise<string> {
  const [doc] = JSON.parse(await ok(['network', 'inspect', network])) as {
    IPAM: { Config: { Gateway: string }[] };
  }[];
  return doc?.IPAM.Config[0]?.Gateway ?? '';
}

async function pidOf(container: string): Promise<number> {
  const [doc] = JSON.parse(await ok(['inspect', container])) as { State: { Pid: number } }[];
  return doc?.State.Pid ?? 0;
}

/** Runs a node script in a container's network namespace (raw packets a busybox cannot write). */
function nodeInNetns(pid: number, script: string): string {
  return execFileSync('nsenter', [`--net=/proc/${pid}/ns/net`, process.execPath, '-e', script], {
    encoding: 'utf8',
    timeout: 60_000,
  });
}

beforeAll(async () => {
  dir = mkdtempSync('/tmp/koker-e2e-netdns-');
  root = join(dir, 'root');
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ network: { dns: [UPSTREAM] } }));
  env = { KOKER_CONFIG: configFile };
  upstream = await upstreamServer();
  const archive = join(dir, 'busybox.tar');
  execFileSync(SCRIPT, [archive, 'busybox:latest']);
  await ok(['load', '-i', archive]);
  await ok(['network', 'create', front]);
  await ok(['network', 'create', back]);
});

afterAll(async () => {
  try {
    // The containers, then the networks (their definitions are in the root), then the root.
    const all = (await run(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean);
    if (all.length > 0) await run(['rm', '-f', ...all]);
    await run(['network', 'rm', front, back]);
    await releaseKokerRoot(root, { env });
  } finally {
    upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('the name resolver of user networks', () => {
  it('answers DNS queries for names, aliases, short IDs and addresses of the network; /etc/hosts keeps only the container itself', async () => {
    const web = await ok([
      'run',
      '-d',
      '--name',
      `web-${tag}`,
      '--network',
      front,
      '--network-alias',
      'www',
      'busybox',
      'sh',
      '-c',
      WEB,
    ]);
    const [doc] = JSON.parse(await ok(['inspect', web])) as {
      NetworkSettings: { Networks: Record<string, { IPAddress: string }> };
    }[];
    const ip = doc?.NetworkSettings.Networks[front]?.IPAddress as string;
    for (const name of [`web-${tag}`, 'www', 'WWW', web.slice(0, 12)]) {
      const found = await nslookup(front, '-type=a', name);
      expect(found.stdout, `${name}: ${found.stderr}`).toMatch(
        new RegExp(`Name:\\s+${name}\\s+Address:\\s+${ip.replace(/\./g, '\\.')}`, 'i'),
      );
    }
    const reverse = await nslookup(front, ip);
    expect(reverse.stdout, reverse.stderr).toContain(`name = web-${tag}`);
    const gateway = await gatewayOf(front);
    const files = await run([
      'run',
      '--rm',
      '--network',
      front,
      'busybox',
      'sh',
      '-c',
      `cat /etc/resolv.conf /etc/hosts; for i in $(seq 20); do timeout 3 wget -q -O - http://www/ && exit 0; sleep 0.2; done; exit 1`,
    ]);
    expect(files.code, files.stderr).toBe(0);
    expect(files.stdout).toMatch(new RegExp(`^nameserver ${gateway.replace(/\./g, '\\.')}\\n`));
    expect(files.stdout).not.toContain(`web-${tag}`);
    expect(files.stdout).toContain('by-dns\n');
    expect(resolverPid()).toBeGreaterThan(0);
  });

  it('knows a container started later and forgets a removed one', async () => {
    const later = await ok([
      'run',
      '-d',
      '--name',
      `later-${tag}`,
      '--network',
      front,
      'busybox',
      'sleep',
      '600',
    ]);
    const seen = await run(['exec', `web-${tag}`, 'nslookup', `later-${tag}`]);
    expect(seen.stdout, seen.stderr).toMatch(/Address:\s+\d+\.\d+\.\d+\.\d+/);
    await ok(['rm', '-f', later]);
    const gone = await run(['exec', `web-${tag}`, 'nslookup', `later-${tag}`]);
    expect(gone.stdout + gone.stderr).toContain('NXDOMAIN');
  });

  it('answers nothing across networks: a container on another network gets NXDOMAIN, and the name is not asked upstream', async () => {
    asked.length = 0;
    const other = await nslookup(back, '-type=a', `web-${tag}`);
    expect(other.code).not.toBe(0);
    expect(other.stdout + other.stderr).toContain('NXDOMAIN');
    expect(asked).not.toContain(`web-${tag}`);
    const wget = await run([
      'run',
      '--rm',
      '--network',
      back,
      'busybox',
      'wget',
      '-q',
      '-O',
      '-',
      `http://web-${tag}/`,
    ]);
    expect(wget.code).not.toBe(0);
    expect(wget.stderr).toContain('bad address');
  });

  it('forwards other names to the upstream servers and relays their answers', async () => {
    asked.length = 0;
    const found = await nslookup(front, '-type=a', `x-${tag}.upstream.test`);
    expect(found.stdout, found.stderr).toMatch(/Address:\s+192\.0\.2\.7/);
    expect(asked).toContain(`x-${tag}.upstream.test`);
    const missing = await nslookup(front, '-type=a', `nothing-${tag}.example.test`);
    expect(missing.stdout + missing.stderr).toContain('NXDOMAIN');
    expect(asked).toContain(`nothing-${tag}.example.test`);
  });

  it("--dns on a user network: the resolver forwards that container's other names to its servers, and still answers the network's", async () => {
    const own = await upstreamServer('127.0.0.154', 8);
    try {
      const result = await run([
        'run',
        '--rm',
        '--network',
        front,
        '--dns',
        '127.0.0.154',
        'busybox',
        'sh',
        '-c',
        `head -1 /etc/resolv.conf; nslookup -type=a y-${tag}.upstream.test; nslookup -type=a www`,
      ]);
      expect(result.stdout, result.stderr).toMatch(
        new RegExp(`^nameserver ${(await gatewayOf(front)).replace(/\./g, '\\.')}\n`),
      );
      expect(result.stdout).toMatch(/Address:\s+192\.0\.2\.8/);
      expect(result.stdout).toMatch(/Name:\s+www/);
    } finally {
      own.close();
    }
  });

  it('a container connected to a second network finds the names of both', async () => {
    await ok(['run', '-d', '--name', `db-${tag}`, '--network', back, 'busybox', 'sleep', '600']);
    const cli = await ok([
      'run',
      '-d',
      '--name',
      `cli-${tag}`,
      '--network',
      front,
      'busybox',
      'sleep',
      '600',
    ]);
    expect((await run(['exec', cli, 'nslookup', `db-${tag}`])).stdout).not.toMatch(/Name:\s+db-/);
    await ok(['network', 'connect', back, cli]);
    const both = await run(['exec', cli, 'sh', '-c', `nslookup db-${tag} && nslookup web-${tag}`]);
    expect(both.stdout, both.stderr).toMatch(new RegExp(`Name:\\s+db-${tag}`));
    expect(both.stdout).toMatch(new RegExp(`Name:\\s+web-${tag}`));
    const fromDb = await run(['exec', `db-${tag}`, 'nslookup', `cli-${tag}`]);
    expect(fromDb.stdout, fromDb.stderr).toMatch(new RegExp(`Name:\\s+cli-${tag}`));
    await ok(['network', 'disconnect', back, cli]);
    expect((await run(['exec', cli, 'nslookup', `db-${tag}`])).stdout).not.toMatch(/Name:\s+db-/);
    await ok(['rm', '-f', cli, `db-${tag}`]);
  });

  it('survives garbage: random and truncated packets over UDP and TCP, then still answers', async () => {
    const before = resolverPid();
    const gateway = await gatewayOf(front);
    const pid = await pidOf(`web-${tag}`);
    const script = `
      const dgram = require('node:dgram');
      const net = require('node:net');
      const crypto = require('node:crypto');
      const socket = dgram.createSocket('udp4');
      const valid = Buffer.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x77, 0x77, 0x77, 0, 0, 1, 0, 1]);
      const packets = [];
      for (let i = 0; i < 3000; i++) {
        const kind = i % 4;
        if (kind === 0) packets.push(crypto.randomBytes(i % 600));
        else if (kind === 1) packets.push(valid.subarray(0, i % valid.length));
        else if (kind === 2) {
          const b = Buffer.from(valid);
          for (let k = 0; k < 3; k++) b[crypto.randomInt(b.length)] = crypto.randomInt(256);
          packets.push(b);
        } else {
          // A name of pointers and oversized labels, and a header claiming many questions.
          packets.push(Buffer.concat([Buffer.from([0, 1, 1, 0, 0, 9, 0, 0, 0, 0, 0, 0]), Buffer.alloc(i % 300, 0xc0)]));
        }
      }
      (async () => {
        for (const p of packets) await new Promise((r) => socket.send(p, 53, '${gateway}', r));
        for (let i = 0; i < 30; i++) {
          await new Promise((resolve) => {
            const c = net.connect(53, '${gateway}', () => c.end(crypto.randomBytes(i * 97)));
            c.on('error', resolve);
            c.on('close', resolve);
            c.resume();
          });
        }
        // Then a real question over TCP: a length, then the message.
        const answer = await new Promise((resolve, reject) => {
          const c = net.connect(53, '${gateway}', () => c.write(Buffer.concat([Buffer.from([0, valid.length]), valid])));
          let got = Buffer.alloc(0);
          c.on('data', (d) => { got = Buffer.concat([got, d]); if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) { c.destroy(); resolve(got); } });
          c.on('error', reject);
          setTimeout(() => reject(new Error('no answer over TCP')), 5000);
        });
        console.log(JSON.stringify({ rcode: answer[5] & 15, answers: answer.readUInt16BE(8) }));
        socket.close();
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const result = JSON.parse(nodeInNetns(pid, script)) as { rcode: number; answers: number };
    expect(result).toEqual({ rcode: 0, answers: 1 });
    expect(resolverPid()).toBe(before);
    const still = await nslookup(front, '-type=a', 'www');
    expect(still.stdout, still.stderr).toMatch(/Name:\s+www/);
  });

  it('comes back after kill -9 with the next container started on a user network', async () => {
    const killed = resolverPid() as number;
    expect(killed).toBeGreaterThan(0);
    process.kill(killed, 'SIGKILL');
    for (let i = 0; i < 50 && resolverPid() === killed; i++) await new Promise((r) => setTimeout(r, 50));
    const again = await nslookup(front, '-type=a', `web-${tag}`);
    expect(again.stdout, again.stderr).toMatch(new RegExp(`Name:\\s+web-${tag}`));
    expect(resolverPid()).not.toBe(killed);
    // The container that was running all along asks the new one.
    const fromWeb = await run(['exec', `web-${tag}`, 'nslookup', 'www']);
    expect(fromWeb.stdout, fromWeb.stderr).toMatch(/Name:\s+www/);
  });

  it('refuses queries that do not come from the network: the host asking the gateway gets no answer', async () => {
    const gateway = await gatewayOf(front);
    const socket = createSocket('udp4');
    try {
      const answered = await new Promise<boolean>((resolve) => {
        socket.once('message', () => resolve(true));
        setTimeout(() => resolve(false), 1500);
        socket.send(
          Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x77, 0x77, 0x77, 0, 0, 1, 0, 1]),
          53,
          gateway,
        );
      });
      expect(answered).toBe(false);
    } finally {
      socket.close();
    }
  });

  it('is gone once no container on any user network has a name: its records file is removed with the last one', async () => {
    const all = (await run(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean);
    if (all.length > 0) await ok(['rm', '-f', ...all]);
    const [doc] = JSON.parse(await ok(['network', 'inspect', front])) as {
      Options: Record<string, string>;
    }[];
    const bridge = doc?.Options['com.docker.network.bridge.name'] as string;
    expect(existsSync(join(DNS_DIR, bridge))).toBe(false);
    // Other koker roots on the host may have named containers of their own: only then it stays.
    if (readdirSync(DNS_DIR).filter((f) => !f.startsWith('.')).length === 0) {
      for (let i = 0; i < 50 && resolverPid() !== undefined; i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(resolverPid()).toBeUndefined();
    }
  });
});
