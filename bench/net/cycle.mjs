// One koker process setting up and tearing down the network of N containers, one after the
// other, with the bridge driver: what `koker run` does for its network, N times.
//   node bench/net/cycle.mjs CONFIG.json N [published]
import { readFileSync } from 'node:fs';
import { KoffiSyscalls } from '@koker/host';
import { createLogger } from '@koker/log';
import { newContainerId } from '@koker/core';
import { BridgeNetworkDriver } from '@koker/net-bridge';

const [configPath, countText, published] = process.argv.slice(2);
const driver = new BridgeNetworkDriver({
  config: JSON.parse(readFileSync(configPath, 'utf8')),
  log: createLogger({ level: 'silent', format: 'console' }),
  syscalls: new KoffiSyscalls(),
});
const ports = published ? [{ hostIp: '0.0.0.0', hostPort: 0, containerPort: 80, protocol: 'tcp' }] : [];
for (let i = 0; i < Number(countText); i++) {
  const id = newContainerId();
  await driver.attach(id, { mode: 'bridge', hostname: 'bench', name: 'bench', ports, dns: [] });
  await driver.detach(id);
}
