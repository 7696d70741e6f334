import assert from 'node:assert/strict';
import { newContainerId, parseByteSize } from '@koker/core';
import { DEFAULT_DEVICE_RULES } from '@koker/engine';
import { type CgroupCheck } from '../cgroups/checks.js';
import { makeBusyboxRootfs } from '../helpers/busybox-rootfs.js';
import { execIn, launchIn } from '../helpers/launch.js';

/**
 * The launcher's real-kernel checks that depend on the cgroup layout, written once for this
 * machine's e2e suite and for `npm run test:kernels` (a guest per layout).
 */
export const RUN_CHECKS: readonly CgroupCheck[] = [
  {
    name: 'the launcher isolates a container: PID 1, lo only, Docker capabilities, no koker fd',
    async run() {
      const box = makeBusyboxRootfs();
      try {
        const result = await launchIn(box.rootfs, [
          'sh',
          '-c',
          'echo $$; ip -o link | wc -l; grep CapEff /proc/self/status; ls /proc/$$/fd; true',
        ]);
        assert.deepEqual(result.status, { code: 0 });
        assert.deepEqual(result.stdout.trim().split('\n'), [
          '1',
          '1',
          'CapEff:\t00000000a80425fb',
          '0',
          '1',
          '2',
        ]);
      } finally {
        box.remove();
      }
    },
  },
  {
    name: "the launcher joins the driver's cgroups, a cgroup namespace rooted there, and the OOM kill ends it",
    async run({ driver }) {
      const box = makeBusyboxRootfs();
      const id = newContainerId();
      try {
        const memory = parseByteSize('16m');
        const placement = await driver.create(id, { memory, memorySwap: memory }, DEFAULT_DEVICE_RULES);
        const result = await launchIn(
          box.rootfs,
          ['sh', '-c', 'cat /proc/self/cgroup; exec dd if=/dev/zero of=/dev/null bs=64M count=1'],
          {
            plan: { cgroups: placement },
          },
        );
        const lines = result.stdout.trim().split('\n');
        assert.ok(
          lines.length > 0 && lines.every((l) => l.endsWith(':/')),
          `cgroups seen inside: ${lines.join(' ')}`,
        );
        assert.deepEqual(result.status, { signal: 9 });
        assert.equal(await driver.oomKilled(id), true);
      } finally {
        await driver.destroy(id);
        box.remove();
      }
    },
  },
  {
    name: 'exec joins the namespaces and cgroups of a running container',
    async run({ driver }) {
      const box = makeBusyboxRootfs();
      const id = newContainerId();
      try {
        const placement = await driver.create(id, {}, DEFAULT_DEVICE_RULES);
        let seen = '';
        await launchIn(box.rootfs, ['sh', '-c', 'hostname > /tmp/ready; exec sleep 60'], {
          plan: { cgroups: placement, hostname: 'koker-guest' },
          during: async (container) => {
            const end = Date.now() + 20_000;
            while (Date.now() < end) {
              const probe = await execIn(container.pid, ['cat', '/tmp/ready'], {
                rootfs: box.rootfs,
                procsFiles: placement.procsFiles,
              }).catch(() => undefined);
              if (probe?.stdout === 'koker-guest\n') break;
              await new Promise((r) => setTimeout(r, 100));
            }
            const exec = await execIn(container.pid, ['sh', '-c', 'hostname; cat /proc/self/cgroup'], {
              rootfs: box.rootfs,
              procsFiles: placement.procsFiles,
            });
            seen = exec.stdout;
            container.kill('SIGKILL');
          },
        });
        const [host, ...cgroups] = seen.trim().split('\n');
        assert.equal(host, 'koker-guest');
        assert.ok(
          cgroups.length > 0 && cgroups.every((l) => l.endsWith(':/')),
          `cgroups seen by exec: ${cgroups.join(' ')}`,
        );
      } finally {
        await driver.destroy(id);
        box.remove();
      }
    },
  },
];
