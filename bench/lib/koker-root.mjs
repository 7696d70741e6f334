// A koker root of the benchmark's own: a temporary --root with the busybox image loaded from the
// docker-save archive (no network), a config naming a bridge `koker-b<hex>` on a free /24 for
// bridge runs, and cleanup() that removes every container, the bridge and its rules.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KOKER, REPO } from './harness.mjs';

/** A /24 prefix ("10.x.y") that no route of the host overlaps. */
export function freePrefix() {
  const routes = spawnSync('ip', ['-4', '-o', 'route', 'show', 'table', 'all'], { encoding: 'utf8' }).stdout;
  for (;;) {
    const prefix = `10.${randomInt(100, 250)}.${randomInt(0, 256)}`;
    if (!routes.includes(`${prefix}.`)) return prefix;
  }
}

/** scripts/build-busybox-image.sh: the README's busybox image as a docker-save archive. */
export function busyboxArchive(dir) {
  const archive = join(dir, 'busybox.tar');
  execFileSync('bash', [join(REPO, 'scripts', 'build-busybox-image.sh'), archive], { stdio: 'ignore' });
  return archive;
}

export function setupKoker({ dir, archive, subnet }) {
  const root = join(dir, 'koker-root');
  mkdirSync(root, { recursive: true });
  const bridge = `koker-b${randomBytes(3).toString('hex')}`;
  const config = {
    root,
    runRoot: join(root, 'run'),
    registry: { mirrors: [], insecure: [], concurrency: 3 },
    drivers: {},
    driverModules: [],
    network: { bridge, subnet: `${subnet ?? freePrefix()}.0/24` },
  };
  const configPath = join(dir, 'koker-config.json');
  writeFileSync(configPath, JSON.stringify(config));
  const command = (args) => `env KOKER_CONFIG=${configPath} ${KOKER} --root ${root} ${args}`;
  const run = (args) => execFileSync('bash', ['-c', command(args)], { encoding: 'utf8' });
  run(`-q load -i ${archive}`);
  return {
    root,
    config,
    configPath,
    command,
    run,
    async cleanup() {
      const ids = spawnSync('bash', ['-c', command('-q ps -aq --no-trunc')], { encoding: 'utf8' })
        .stdout.trim()
        .split('\n')
        .filter(Boolean);
      if (ids.length) spawnSync('bash', ['-c', command(`-q rm -f ${ids.join(' ')}`)], { stdio: 'ignore' });
      spawnSync('bash', ['-c', command('-q system prune -f')], { stdio: 'ignore' });
      const { KoffiSyscalls } = await import('@koker/host');
      const { createLogger } = await import('@koker/log');
      const { BridgeNetworkDriver } = await import('@koker/net-bridge');
      const driver = new BridgeNetworkDriver({
        config,
        log: createLogger({ level: 'silent', format: 'console' }),
        syscalls: new KoffiSyscalls(),
      });
      for (const id of await driver.list()) await driver.detach(id);
      await driver.removeBridge();
    },
  };
}
