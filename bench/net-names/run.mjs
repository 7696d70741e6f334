// bench/net-names: what the name resolver of user networks costs (koker-dns, one per host;
// docs/adr/0016-a-name-resolver-for-user-networks.md). Timed in one process through the bridge
// driver: attach + detach of a container on a user network (its names published to the resolver,
// which must listen before attach returns) against the same on a plain bridge without names; the
// first container of the host's only network (the resolver is started, then exits at detach),
// and one with 10 and 50 containers already there. The resolver's memory (VmRSS) with 1 and 50
// containers, and after 2000 queries. Needs root; makes its own bridges, state directory and
// resolver, and removes them.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { KoffiSyscalls } from '@koker/host';
import { createLogger } from '@koker/log';
import { newContainerId } from '@koker/core';
import { BridgeNetworkDriver } from '@koker/net-bridge';
import { writeResults } from '../lib/harness.mjs';

if (process.geteuid() !== 0) {
  console.error('bench/net-names needs root (network namespaces, veths, iptables)');
  process.exit(1);
}

const ITERATIONS = 20;
const PEERS = [10, 50];
const root = mkdtempSync('/tmp/koker-bench-names-');
const runRoot = mkdtempSync('/run/koker-bench-names-');
// A state directory of its own: its own resolver, started and stopped by this benchmark alone.
const bridgesDir = join(runRoot, 'network', 'bridges');
const config = {
  root,
  runRoot,
  registry: { mirrors: [], insecure: [], concurrency: 1 },
  drivers: {},
  driverModules: [],
  network: { bridge: `kbn${process.pid % 100000}`, subnet: '10.254.254.0/24' },
};
const driver = new BridgeNetworkDriver({
  config,
  log: createLogger({ level: 'silent', format: 'console' }),
  syscalls: new KoffiSyscalls(),
  bridgesDir,
});
const name = `bench-names-${process.pid}`;
const stats = (ms) => {
  const sorted = [...ms].sort((a, b) => a - b);
  const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
  const sd = Math.sqrt(ms.reduce((a, b) => a + (b - mean) ** 2, 0) / ms.length);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  // The harness's tables take seconds.
  return {
    median: median / 1000,
    mean: mean / 1000,
    stddev: sd / 1000,
    min: sorted[0] / 1000,
    max: sorted.at(-1) / 1000,
  };
};
const request = (i, onNetwork) => ({
  mode: 'bridge',
  hostname: `c${i}`,
  name: `c${i}`,
  ports: [],
  dns: [],
  ...(onNetwork ? { network: name } : {}),
});
const time = async (work) => {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e6;
};
const cycle = (i, onNetwork) =>
  time(async () => {
    const id = newContainerId();
    await driver.attach(id, request(i, onNetwork));
    await driver.detach(id);
  });
const lockPath = join(runRoot, 'network', 'dns.lock');
/** The resolver's PID: the holder of the flock on its lock file, from /proc/locks. */
function resolverPid() {
  const ino = statSync(lockPath).ino;
  const line = readFileSync('/proc/locks', 'utf8')
    .split('\n')
    .find((l) => l.includes(`:${ino} `));
  if (!line) throw new Error('koker-dns is not running');
  return Number(line.split(/\s+/)[4]);
}
const rss = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
/**
 * `count` queries for c0 (A) to the gateway, one at a time, from a container's namespace (the
 * resolver answers only what comes in on the bridge). Milliseconds per query and answer.
 */
function query(netns, gateway, count) {
  const script = `
    const socket = require('node:dgram').createSocket('udp4');
    const question = Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 0x63, 0x30, 0, 0, 1, 0, 1]);
    let left = ${count};
    const start = process.hrtime.bigint();
    const timer = setTimeout(() => { console.error('no answer from koker-dns'); process.exit(1); }, 20000);
    socket.on('message', () => {
      if (--left === 0) {
        console.log(Number(process.hrtime.bigint() - start) / 1e6 / ${count});
        clearTimeout(timer);
        socket.close();
      } else socket.send(question, 53, '${gateway}');
    });
    socket.send(question, 53, '${gateway}');`;
  const out = execFileSync('nsenter', [`--net=${netns}`, process.execPath, '-e', script], {
    encoding: 'utf8',
  });
  return Number(out.trim());
}

const rows = [];
const notes = [];
const peers = [];
try {
  const network = await driver.networks.create({ name, internal: false, labels: {}, options: {} });
  const gateway = network.gateway;
  let i = 0;
  // The first container on the host's only network: the resolver starts, then leaves at detach.
  const first = { plain: [], named: [] };
  for (let n = 0; n < ITERATIONS; n++) {
    first.plain.push(await cycle(i++, false));
    first.named.push(await cycle(i++, true));
  }
  const base = stats(first.plain);
  rows.push({ name: 'attach + detach, a bridge without names', ...base, ratio: 1 });
  const cold = stats(first.named);
  rows.push({
    name: 'attach + detach, first container of a user network (koker-dns started, and gone at detach)',
    ...cold,
    ratio: cold.median / base.median,
  });
  for (const count of PEERS) {
    while (peers.length < count) {
      const id = newContainerId();
      const attached = await driver.attach(id, request(i++, true));
      peers.push({ id, netns: attached.netnsPath });
    }
    if (count === PEERS[0]) {
      const pid = resolverPid();
      notes.push(`koker-dns VmRSS with ${count} containers on one network: ${rss(pid)} KiB`);
    }
    const times = { plain: [], named: [] };
    for (let n = 0; n < ITERATIONS; n++) {
      times.plain.push(await cycle(i++, false));
      times.named.push(await cycle(i++, true));
    }
    const plain = stats(times.plain);
    const named = stats(times.named);
    rows.push({
      name: `attach + detach, a bridge without names (${count} on the user network)`,
      ...plain,
      ratio: 1,
    });
    rows.push({
      name: `attach + detach, ${count} containers on the user network (koker-dns running)`,
      ...named,
      ratio: named.median / plain.median,
    });
  }
  const pid = resolverPid();
  notes.push(`koker-dns VmRSS with ${peers.length} containers on one network: ${rss(pid)} KiB`);
  const perQuery = query(peers[0].netns, gateway, 2000);
  notes.push(
    `after 2000 queries answered from the records: VmRSS ${rss(pid)} KiB; ${perQuery.toFixed(3)} ms per query and answer (UDP, one at a time, from node in a container's namespace)`,
  );
  const added = (rows[1].median - rows[0].median) * 1000;
  notes.unshift(
    `added start cost: ${added.toFixed(1)} ms for the first container on a user network (spawn of koker-dns and its first bind), ${PEERS.map((c, k) => `${((rows[3 + 2 * k].median - rows[2 + 2 * k].median) * 1000).toFixed(1)} ms with ${c} containers`).join(', ')} (records rewritten and renamed, the listener checked in /proc/net/udp); each row pair alternates, ${ITERATIONS} runs each; the machine is shared: compare ratios`,
  );
  writeResults('net-names', {
    title: 'Name resolution on user networks: koker-dns, its memory and the added attach + detach cost',
    rows,
    goals: [],
    notes,
  });
} finally {
  for (const id of await driver.list()) await driver.detach(id);
  await driver.networks.remove(name).catch(() => undefined);
  await driver.removeBridge().catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
  rmSync(runRoot, { recursive: true, force: true });
}
