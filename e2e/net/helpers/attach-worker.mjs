// A separate koker process for the cross-process IPAM test: attaches N containers to the bridge
// given in argv, prints their addresses as JSON, holds them until stdin closes, then detaches.
import { KoffiSyscalls } from '@koker/host';
import { createLogger } from '@koker/log';
import { newContainerId } from '@koker/core';
import { BridgeNetworkDriver } from '@koker/net-bridge';

const [configJson, countText] = process.argv.slice(2);
const config = JSON.parse(configJson);
const driver = new BridgeNetworkDriver({
  config,
  log: createLogger({ level: 'silent', format: 'console' }),
  syscalls: new KoffiSyscalls(),
});
const ids = Array.from({ length: Number(countText) }, () => newContainerId());
const request = { mode: 'bridge', hostname: 'w', name: 'worker', ports: [], dns: [] };
const attachments = await Promise.all(ids.map((id) => driver.attach(id, request)));
process.stdout.write(`${JSON.stringify(attachments.map((a, i) => ({ id: ids[i], ip: a.ipAddress })))}\n`);
process.stdin.resume();
process.stdin.on('end', async () => {
  for (const id of ids) await driver.detach(id);
  process.exit(0);
});
