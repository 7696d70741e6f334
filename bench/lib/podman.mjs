// Podman as a reference engine for the benchmarks: Debian's podman, rootful, with its state in a
// private temporary root (never /var/lib/containers), `--runtime runc` (crun refuses this hybrid
// host), the busybox image loaded from the same docker-save archive koker loads, and, for bridge
// runs, a bridge network of its own named for koker (netavark, DNS off like podman's default
// network). Everything it adds to the host is removed by cleanup(), netavark's global iptables
// chains included when they were not there before.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureApt } from './harness.mjs';

const NETAVARK_CHAINS = {
  filter: ['NETAVARK_FORWARD'],
  nat: ['NETAVARK-HOSTPORT-DNAT', 'NETAVARK-HOSTPORT-MASQ', 'NETAVARK-HOSTPORT-SETMARK'],
};

function chainExists(table, chain) {
  return spawnSync('iptables', ['-w', '-t', table, '-S', chain], { stdio: 'ignore' }).status === 0;
}

/** Removes netavark's global chains and the jumps to them (only those that were not there before). */
function removeNetavarkChains(existedBefore) {
  const run = (...args) => spawnSync('iptables', ['-w', ...args], { stdio: 'ignore' });
  if (!existedBefore.has('filter/NETAVARK_FORWARD')) {
    run(
      '-D',
      'FORWARD',
      '-m',
      'comment',
      '--comment',
      'netavark firewall plugin rules',
      '-j',
      'NETAVARK_FORWARD',
    );
  }
  if (!existedBefore.has('nat/NETAVARK-HOSTPORT-DNAT')) {
    for (const chain of ['PREROUTING', 'OUTPUT'])
      run('-t', 'nat', '-D', chain, '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'NETAVARK-HOSTPORT-DNAT');
  }
  if (!existedBefore.has('nat/NETAVARK-HOSTPORT-MASQ'))
    run('-t', 'nat', '-D', 'POSTROUTING', '-j', 'NETAVARK-HOSTPORT-MASQ');
  for (const [table, chains] of Object.entries(NETAVARK_CHAINS)) {
    for (const chain of chains) {
      if (existedBefore.has(`${table}/${chain}`) || !chainExists(table, chain)) continue;
      run('-t', table, '-F', chain);
      run('-t', table, '-X', chain);
    }
  }
}

/** Waits (up to a minute) until no live process has `dir` in its command line. */
function waitForNoProcessUnder(dir) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const live = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .some((pid) => {
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          if (/\) Z /.test(stat)) return false;
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
        } catch {
          return false;
        }
      });
    if (!live) return;
    spawnSync('sleep', ['0.2']);
  }
}

/** Removes a cgroup tree (deepest first) from every hierarchy. */
function removeCgroups(name) {
  const dirs = execFileSync(
    'find',
    ['/sys/fs/cgroup', '-maxdepth', '4', '-type', 'd', '-path', `*/${name}*`],
    {
      encoding: 'utf8',
    },
  )
    .split('\n')
    .filter(Boolean)
    .sort((a, b) => b.length - a.length);
  for (const dir of dirs) spawnSync('rmdir', [dir], { stdio: 'ignore' });
}

/**
 * Sets podman up under `dir`. `subnet` (a free /24, e.g. "10.201.7") gives it a bridge network
 * `koker-bench-<hex>` on a bridge `koker-p<hex>`; `flags` are more global flags. Returns the
 * command prefix and cleanup().
 */
export function setupPodman({ dir, archive, subnet, flags = '' }) {
  ensureApt('podman', 'netavark', 'aardvark-dns', 'runc', 'iptables');
  const existedBefore = new Set(
    Object.entries(NETAVARK_CHAINS).flatMap(([table, chains]) =>
      chains.filter((chain) => chainExists(table, chain)).map((chain) => `${table}/${chain}`),
    ),
  );
  const home = join(dir, 'podman');
  const networks = join(home, 'networks');
  mkdirSync(networks, { recursive: true });
  const conf = join(home, 'containers.conf');
  // A host whose bounding set lacks CAP_SYS_RESOURCE (some VMs): podman's default rlimits (nofile and nproc
  // raised to 1048576) cannot set them, so the containers get modest ones.
  writeFileSync(
    conf,
    [
      '[containers]',
      'default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]',
      '[engine]',
      'runtime = "runc"',
      '[network]',
      'network_backend = "netavark"',
      `network_config_dir = "${networks}"`,
      '',
    ].join('\n'),
  );
  const hex = randomBytes(3).toString('hex');
  const network = `koker-bench-${hex}`;
  if (subnet) {
    writeFileSync(
      join(networks, `${network}.json`),
      JSON.stringify({
        name: network,
        id: randomBytes(32).toString('hex'),
        driver: 'bridge',
        network_interface: `koker-p${hex}`,
        created: new Date().toISOString(),
        subnets: [{ subnet: `${subnet}.0/24`, gateway: `${subnet}.1` }],
        ipv6_enabled: false,
        internal: false,
        dns_enabled: false,
        ipam_options: { driver: 'host-local' },
      }),
    );
  }
  const env = `env CONTAINERS_CONF=${conf}`;
  const base = `podman --root ${join(home, 'root')} --runroot ${join(home, 'run')} --runtime runc${flags ? ` ${flags}` : ''}`;
  // Containers, their conmons and build steps in cgroups named for koker (podman's default: /libpod_parent).
  const cgroupParent = `koker-bench-p${hex}`;
  const podman = (args) =>
    `${env} ${base} ${args.replace(/^(run|build) /, `$1 --cgroup-parent /${cgroupParent} `)}`;
  const run = (args) => execFileSync('bash', ['-c', podman(args)], { encoding: 'utf8' });
  run(`load -q -i ${archive}`);
  return {
    command: podman,
    run,
    network,
    cleanup() {
      spawnSync('bash', ['-c', podman('rm -a -f -t 0')], { stdio: 'ignore' });
      if (subnet) spawnSync('bash', ['-c', podman(`network rm -f ${network}`)], { stdio: 'ignore' });
      spawnSync('ip', ['link', 'delete', `koker-p${hex}`], { stdio: 'ignore' });
      // conmon runs `podman container cleanup` after each container: wait for those to end, since
      // each podman process bind-mounts the graph root on itself again.
      waitForNoProcessUnder(home);
      // containers/storage leaves its graph root bind-mounted on itself.
      for (;;) {
        const mounts = execFileSync('awk', ['{print $5}', '/proc/self/mountinfo'], { encoding: 'utf8' })
          .split('\n')
          .filter((m) => m.startsWith(home));
        if (mounts.length === 0) break;
        for (const m of mounts.sort().reverse()) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
      }
      removeNetavarkChains(existedBefore);
      removeCgroups(cgroupParent);
      rmSync(home, { recursive: true, force: true });
    },
  };
}
