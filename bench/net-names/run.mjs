// bench/net-names: what name resolution on user networks costs. Names resolve through each
// container's /etc/hosts (docs/adr/0014-names-on-user-networks-through-hosts-files.md): no
// resolver process, so its memory is 0; the cost is the rewrite of every peer's hosts file at
// each attach and detach. Timed in one process: attach + detach of one container on a user
// network with N containers already on it, with names (a hosts file per container) and without
// (as on the default bridge). Needs root; makes its own network and removes it.
import { mkdtempSync, rmSync } from 'node:fs';
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
const PEERS = [0, 10, 50];
const root = mkdtempSync('/tmp/koker-bench-names-');
const runRoot = mkdtempSync('/run/koker-bench-names-');
const config = {
  root,
  runRoot,
  registry: { mirrors: [], insecure: [], concurrency: 1 },
  drivers: {},
  driverModules: [],
  network: { bridge: 'koker-bn-unused', subnet: '10.254.254.0/24' },
};
const driver = new BridgeNetworkDriver({
  config,
  log: createLogger({ level: 'silent', format: 'console' }),
  syscalls: new KoffiSyscalls(),
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
const request = (i, withNames) => ({
  mode: 'bridge',
  hostname: `c${i}`,
  name: `c${i}`,
  ports: [],
  dns: [],
  network: name,
  ...(withNames ? { hostsFile: join(root, `hosts-${i}`) } : {}),
});

const rows = [];
const peers = [];
try {
  await driver.networks.create({ name, internal: false, labels: {}, options: {} });
  let i = 0;
  for (const count of PEERS) {
    while (peers.length < count) {
      const id = newContainerId();
      await driver.attach(id, request(i++, true));
      peers.push(id);
    }
    const times = { true: [], false: [] };
    for (let n = 0; n < ITERATIONS; n++) {
      for (const withNames of [false, true]) {
        const id = newContainerId();
        const start = process.hrtime.bigint();
        await driver.attach(id, request(i++, withNames));
        await driver.detach(id);
        times[withNames].push(Number(process.hrtime.bigint() - start) / 1e6);
      }
    }
    const without = stats(times.false);
    const withNames = stats(times.true);
    rows.push({
      name: `attach + detach, ${count} containers on the network, no names`,
      ...without,
      ratio: 1,
    });
    rows.push({
      name: `attach + detach, ${count} containers on the network, names (hosts files rewritten)`,
      ...withNames,
      ratio: withNames.median / without.median,
    });
  }
  const at = (count) => {
    const index = PEERS.indexOf(count) * 2;
    return (rows[index + 1].median - rows[index].median) * 1000;
  };
  writeResults('net-names', {
    title: 'Name resolution on user networks: the added attach + detach cost (hosts files, no resolver)',
    rows,
    goals: [],
    notes: [
      'resolver memory: 0 bytes; no process serves names (each container reads its own /etc/hosts)',
      `added per attach + detach (median difference): ${PEERS.map((c) => `${c} peers ${at(c).toFixed(2)} ms`).join(', ')}; each attach and each detach rewrites the hosts file of every container on the network, so the cost grows with their number (about ${(at(50) / 100).toFixed(2)} ms per file from the 50-peer row)`,
      `timed in one node process, alternating with and without names, ${ITERATIONS} runs each; the machine is shared: compare ratios`,
    ],
  });
} finally {
  for (const id of await driver.list()) await driver.detach(id);
  await driver.networks.remove(name).catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
  rmSync(runRoot, { recursive: true, force: true });
}
