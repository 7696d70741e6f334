#!/usr/bin/env node
// Per-container network setup + teardown: koker's bridge driver (netlink from Node, in process)
// side by side with the same steps as a shell script of iproute2 commands (`ip netns add`,
// `ip link add ... type veth`, ...). Run as root after `npm run build`:
//   sudo node bench/net/setup-teardown.bench.mjs [iterations]
// Prints a table and writes bench/results/net-setup-teardown.json.
import { spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KoffiSyscalls, createLogger, newContainerId } from '@koker/core';
import { BridgeNetworkDriver, Iptables } from '@koker/net-bridge';

const iterations = Number(process.argv[2] ?? 40);
if (process.geteuid() !== 0) {
  console.error('bench/net: needs root (network namespaces, veths, iptables)');
  process.exit(1);
}

function freePrefix() {
  const routes = spawnSync('ip', ['-4', '-o', 'route', 'show', 'table', 'all'], { encoding: 'utf8' }).stdout;
  for (;;) {
    const prefix = `10.${randomInt(100, 250)}.${randomInt(0, 256)}`;
    if (!routes.includes(`${prefix}.`)) return prefix;
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const ms = (start) => Number(process.hrtime.bigint() - start) / 1e6;

const root = mkdtempSync('/tmp/koker-bench-net-');
// The run root on a tmpfs, as /run/koker is in production.
const runRoot = mkdtempSync('/run/koker-bench-net-');
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
const log = createLogger({ level: 'silent', format: 'console' });
const driver = new BridgeNetworkDriver({ config, log, syscalls: new KoffiSyscalls() });
const request = { mode: 'bridge', hostname: 'bench', name: 'bench', ports: [], dns: [] };

function iproute2Script(i) {
  const ns = `koker-bn${i}`;
  const host = `kokerbv${i}`;
  const peer = `kokerbp${i}`;
  const setup = [
    `ip netns add ${ns}`,
    `ip link add ${host} mtu 1500 type veth peer name ${peer} mtu 1500`,
    `ip link set ${host} master ${bridge}`,
    `ip link set ${peer} netns ${ns}`,
    `ip -n ${ns} link set ${peer} name eth0`,
    `ip -n ${ns} addr add ${prefix}.250/24 dev eth0`,
    `ip -n ${ns} link set eth0 up`,
    `ip -n ${ns} route add default via ${prefix}.1`,
    `ip -n ${ns} link set lo up`,
    `ip link set ${host} up`,
  ];
  const teardown = [`ip link del ${host}`, `ip netns del ${ns}`];
  return { setup: setup.join(' && '), teardown: teardown.join(' && ') };
}

function sh(script) {
  const result = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${script}: ${result.stderr}`);
}

const results = {
  koker: { setup: [], teardown: [] },
  kokerPort: { setup: [], teardown: [] },
  iproute2: { setup: [], teardown: [] },
};
try {
  // Warm-up: the bridge and its rules are made once, koffi and iptables are loaded.
  const warm = newContainerId();
  await driver.attach(warm, request);
  await driver.detach(warm);
  sh(iproute2Script('w').setup);
  sh(iproute2Script('w').teardown);

  for (let i = 0; i < iterations; i++) {
    // Alternate the two so that machine noise hits both alike.
    const id = newContainerId();
    let start = process.hrtime.bigint();
    await driver.attach(id, request);
    results.koker.setup.push(ms(start));
    start = process.hrtime.bigint();
    await driver.detach(id);
    results.koker.teardown.push(ms(start));

    const script = iproute2Script(i);
    start = process.hrtime.bigint();
    sh(script.setup);
    results.iproute2.setup.push(ms(start));
    start = process.hrtime.bigint();
    sh(script.teardown);
    results.iproute2.teardown.push(ms(start));

    const published = newContainerId();
    start = process.hrtime.bigint();
    await driver.attach(published, {
      ...request,
      ports: [{ hostIp: '0.0.0.0', hostPort: 0, containerPort: 80, protocol: 'tcp' }],
    });
    results.kokerPort.setup.push(ms(start));
    start = process.hrtime.bigint();
    await driver.detach(published);
    results.kokerPort.teardown.push(ms(start));
  }
  const iptables = new Iptables(log);
  await iptables.kokerRules();
  const saves = [];
  for (let i = 0; i < 10; i++) {
    const start = process.hrtime.bigint();
    await iptables.kokerRules();
    saves.push(ms(start));
  }
  results.iptablesSave = median(saves);
} finally {
  for (const id of await driver.list()) await driver.detach(id);
  await driver.removeBridge();
  rmSync(root, { recursive: true, force: true });
  rmSync(runRoot, { recursive: true, force: true });
}

const row = (name, r) => {
  const setup = median(r.setup);
  const teardown = median(r.teardown);
  return { name, setup, teardown, total: setup + teardown };
};
const rows = [
  row('koker bridge driver (netlink, in process)', results.koker),
  row('iproute2 shell script (ip netns add, ip link add ... type veth, ...)', results.iproute2),
  row('koker bridge driver + 1 published port (iptables-restore)', results.kokerPort),
];
const ratio = rows[1].total / rows[0].total;
console.log(`network setup + teardown per container, median of ${iterations} (ms)`);
for (const r of rows)
  console.log(
    `${r.name.padEnd(72)} setup ${r.setup.toFixed(1).padStart(6)}  teardown ${r.teardown.toFixed(1).padStart(6)}  total ${r.total.toFixed(1).padStart(6)}`,
  );
console.log(`iproute2 / koker: ${ratio.toFixed(2)}x (koker is ${ratio >= 1 ? 'faster' : 'slower'})`);
console.log(
  `one iptables-save from Node (part of koker's setup when it checks the bridge rules): ${results.iptablesSave.toFixed(1)} ms`,
);

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'net-setup-teardown.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ date: new Date().toISOString(), iterations, rows, ratio, iptablesSaveMs: results.iptablesSave }, null, 2)}\n`,
);
