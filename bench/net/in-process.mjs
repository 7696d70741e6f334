// Per-container setup and teardown timed inside one process: koker's driver calls against the
// same steps as iproute2 commands (each step one `ip` process, as a shell script runs them).
import { spawnSync } from 'node:child_process';
import { KoffiSyscalls } from '@koker/host';
import { createLogger } from '@koker/log';
import { newContainerId } from '@koker/core';
import { BridgeNetworkDriver, Iptables } from '@koker/net-bridge';

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const since = (start) => Number(process.hrtime.bigint() - start) / 1e6;

function sh(script) {
  const result = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${script}: ${result.stderr}`);
}

function iproute2Steps(bridge, prefix, i) {
  const ns = `koker-bi${process.pid}-${i}`;
  const host = `vethbi${i}`;
  return {
    setup: [
      `ip netns add ${ns}`,
      `ip link add ${host} mtu 1500 type veth peer name eth0 netns ${ns} mtu 1500`,
      `ip link set ${host} master ${bridge}`,
      `ip -n ${ns} addr add ${prefix}.251/24 dev eth0`,
      `ip -n ${ns} link set eth0 up`,
      `ip -n ${ns} route add default via ${prefix}.1`,
      `ip -n ${ns} link set lo up`,
      `ip link set ${host} up`,
    ].join(' && '),
    teardown: `ip link del ${host} && ip netns del ${ns}`,
  };
}

/** Medians (ms) of setup and teardown, alternating koker and iproute2 so noise hits both alike. */
export async function measureInProcess(config, prefix, iterations) {
  const log = createLogger({ level: 'silent', format: 'console' });
  const driver = new BridgeNetworkDriver({ config, log, syscalls: new KoffiSyscalls() });
  const request = { mode: 'bridge', hostname: 'bench', name: 'bench', ports: [], dns: [] };
  const published = {
    ...request,
    ports: [{ hostIp: '0.0.0.0', hostPort: 0, containerPort: 80, protocol: 'tcp' }],
  };
  const times = { koker: [[], []], kokerPort: [[], []], iproute2: [[], []] };
  const cycle = async (key, req) => {
    const id = newContainerId();
    let start = process.hrtime.bigint();
    await driver.attach(id, req);
    times[key][0].push(since(start));
    start = process.hrtime.bigint();
    await driver.detach(id);
    times[key][1].push(since(start));
  };
  await cycle('koker', request); // warm-up: koffi and iptables loaded, bridge verified
  times.koker = [[], []];
  for (let i = 0; i < iterations; i++) {
    await cycle('koker', request);
    const steps = iproute2Steps(config.network.bridge, prefix, i);
    let start = process.hrtime.bigint();
    sh(steps.setup);
    times.iproute2[0].push(since(start));
    start = process.hrtime.bigint();
    sh(steps.teardown);
    times.iproute2[1].push(since(start));
    await cycle('kokerPort', published);
  }
  const iptables = new Iptables(log);
  const saves = [];
  for (let i = 0; i < 10; i++) {
    const start = process.hrtime.bigint();
    await iptables.kokerRules();
    saves.push(since(start));
  }
  const row = ([setup, teardown]) => ({ setup: median(setup), teardown: median(teardown) });
  return {
    koker: row(times.koker),
    kokerPort: row(times.kokerPort),
    iproute2: row(times.iproute2),
    iptablesSave: median(saves),
  };
}
