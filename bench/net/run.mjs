// bench/net: per-container network setup + teardown, koker's bridge driver (netlink from Node)
// side by side with the same steps done with iproute2 (`ip netns add`, `ip link add ... type
// veth`, ...). Needs root; makes its own bridge koker-b<hex> and a free 10.x.y.0/24.
import { spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KoffiSyscalls } from '@koker/host';
import { createLogger } from '@koker/log';
import { newContainerId } from '@koker/core';
import { BridgeNetworkDriver } from '@koker/net-bridge';
import { REPO, compare, ensureApt, writeResults } from '../lib/harness.mjs';
import { measureInProcess } from './in-process.mjs';

if (process.geteuid() !== 0) {
  console.error('bench/net needs root (network namespaces, veths, iptables)');
  process.exit(1);
}
ensureApt('iproute2', 'iptables');

function freePrefix() {
  const routes = spawnSync('ip', ['-4', '-o', 'route', 'show', 'table', 'all'], { encoding: 'utf8' }).stdout;
  for (;;) {
    const prefix = `10.${randomInt(100, 250)}.${randomInt(0, 256)}`;
    if (!routes.includes(`${prefix}.`)) return prefix;
  }
}

const BATCH = 20;
const root = mkdtempSync('/tmp/koker-bench-net-');
const runRoot = mkdtempSync('/run/koker-bench-net-'); // a tmpfs, as /run/koker is
const bridge = `koker-b${randomBytes(3).toString('hex')}`;
const prefix = freePrefix();
const config = {
  root,
  runRoot,
  registry: { mirrors: [], insecure: [], concurrency: 1 },
  drivers: {},
  driverModules: [],
  network: { bridge, subnet: `${prefix}.0/24` },
};
const configPath = join(root, 'config.json');
writeFileSync(configPath, JSON.stringify(config));
const driver = new BridgeNetworkDriver({
  config,
  log: createLogger({ level: 'silent', format: 'console' }),
  syscalls: new KoffiSyscalls(),
});

try {
  // The bridge, its address and rules exist before timing starts, as on any host after the first run.
  const warm = newContainerId();
  await driver.attach(warm, { mode: 'bridge', hostname: 'w', name: 'w', ports: [], dns: [] });
  await driver.detach(warm);

  const cycle = join(REPO, 'bench', 'net', 'cycle.mjs');
  const script = join(REPO, 'bench', 'net', 'iproute2-cycle.sh');
  const ipName = `iproute2: ${BATCH} containers (ip netns add, ip link add ... type veth, ...)`;
  const rows = compare(
    [
      { name: ipName, command: `sh ${script} ${bridge} ${prefix} ${BATCH}` },
      {
        name: `koker bridge driver: ${BATCH} containers in one node process`,
        command: `node ${cycle} ${configPath} ${BATCH}`,
      },
      {
        name: 'koker bridge driver: 0 containers (node start and imports only)',
        command: `node ${cycle} ${configPath} 0`,
      },
    ],
    { runs: 10, warmup: 2, baseline: ipName },
  );
  const inProcess = await measureInProcess(config, prefix, 30);
  const per = (r) =>
    `${(r.setup + r.teardown).toFixed(1)} ms (setup ${r.setup.toFixed(1)}, teardown ${r.teardown.toFixed(1)})`;
  const kokerPer = (rows[1].median - rows[2].median) / BATCH;
  const ipPer = rows[0].median / BATCH;
  const inKoker = inProcess.koker.setup + inProcess.koker.teardown;
  const inIp = inProcess.iproute2.setup + inProcess.iproute2.teardown;
  writeResults('net', {
    title: 'Network setup + teardown per container: koker bridge driver vs iproute2',
    rows,
    goals: [
      {
        text: `per container, koker's driver is faster than the same steps with iproute2: ${(kokerPer * 1000).toFixed(1)} ms vs ${(ipPer * 1000).toFixed(1)} ms from the batches (iproute2/koker ${(ipPer / kokerPer).toFixed(2)}×); ${inKoker.toFixed(1)} ms vs ${inIp.toFixed(1)} ms timed in one process (${(inIp / inKoker).toFixed(2)}×)`,
        ok: kokerPer < ipPer && inKoker < inIp,
      },
    ],
    notes: [
      `per container from the batches: (koker batch − koker start) / ${BATCH} against iproute2 batch / ${BATCH}; node's start and imports are paid once per koker command, not per network`,
      `timed in one process, median of 30, alternating: koker ${per(inProcess.koker)}; iproute2 ${per(inProcess.iproute2)}`,
      `with one published port (one iptables-restore batch to add its DNAT rules, one to delete them): koker ${per(inProcess.kokerPort)}`,
      `one iptables-save from Node costs ${inProcess.iptablesSave.toFixed(1)} ms: koker reads the bridge rules back at most once a minute (and whenever it creates the bridge), not on every run`,
      'the iproute2 script does the same steps as koker: the peer is created inside the namespace as eth0 (no move, no rename)',
      'the machine is shared with other helpers: compare ratios from one run, not absolute times',
    ],
  });
} finally {
  for (const id of await driver.list()) await driver.detach(id);
  await driver.removeBridge();
  rmSync(root, { recursive: true, force: true });
  rmSync(runRoot, { recursive: true, force: true });
}
