import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { OOM_EXIT_CODE, describeOom } from '@koker/cgroups';
import {
  InvalidValueError,
  newContainerId,
  parseByteSize,
  parseCpus,
  type ResourceDriver,
  type ResourceLimits,
} from '@koker/core';
import { DEFAULT_DEVICE_RULES } from '@koker/engine';
import { ALLOCATE_20_MIB, EXPECTED_DRIVER, joined, pidsEvents, runIn, startIn } from './harness.js';

/**
 * The real-kernel checks of the cgroup drivers, written once: the e2e suite runs them on this
 * machine, and `npm run test:kernels` runs them in a guest of each cgroup layout.
 */
export interface CgroupCheckContext {
  readonly driver: ResourceDriver;
  /** The driver auto-detection picked. */
  readonly name: string;
  /** The layout core detected. */
  readonly mode: string;
}

export interface CgroupCheck {
  readonly name: string;
  run(context: CgroupCheckContext): Promise<void>;
}

/** Docker's default device policy, as `koker run` asks for it. */
const DEVICES = DEFAULT_DEVICE_RULES;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const CGROUP_CHECKS: readonly CgroupCheck[] = [
  {
    name: 'auto-detection picks the driver of the layout',
    async run({ name, mode }) {
      assert.ok(['legacy', 'hybrid', 'unified'].includes(mode), `layout ${mode}`);
      assert.equal(name, EXPECTED_DRIVER[mode as keyof typeof EXPECTED_DRIVER]);
    },
  },
  {
    name: 'a program allocating 20 MiB in a 10 MiB container is killed: exit 137, and koker says so',
    async run({ driver }) {
      const limits: ResourceLimits = { memory: parseByteSize('10m'), memorySwap: parseByteSize('10m') };
      const id = newContainerId();
      const placement = await driver.create(id, limits, DEVICES);
      try {
        const { code } = await runIn(placement, ALLOCATE_20_MIB.join(' '));
        assert.equal(code, OOM_EXIT_CODE);
        assert.equal(await driver.oomKilled(id), true);
        assert.equal(describeOom(limits), 'container was killed: out of memory (limit 10 MiB)');
        assert.equal((await driver.stats(id)).memoryLimit, 10 * 1024 * 1024);
      } finally {
        await driver.destroy(id);
      }
    },
  },
  {
    name: 'the same program completes in a 128 MiB container',
    async run({ driver }) {
      const id = newContainerId();
      const placement = await driver.create(id, { memory: parseByteSize('128m') }, DEVICES);
      try {
        const { code, output } = await runIn(placement, ALLOCATE_20_MIB.join(' '));
        assert.match(output, /20971520 bytes/);
        assert.equal(code, 0);
        assert.equal(await driver.oomKilled(id), false);
      } finally {
        await driver.destroy(id);
      }
    },
  },
  {
    name: 'a PIDs limit stops a fork bomb, and teardown kills it',
    async run({ driver }) {
      const id = newContainerId();
      const placement = await driver.create(id, { pidsLimit: 20, nanoCpus: parseCpus('0.5') }, DEVICES);
      // The shell execs sleep rather than forking it: at the limit no fork succeeds any more.
      const bomb = startIn(placement, `sh -c 'bomb() { bomb | bomb & }; bomb; exec sleep 60'`);
      try {
        const deadline = Date.now() + 30_000;
        while (pidsEvents(placement.procsFiles) === 0 && Date.now() < deadline) await sleep(100);
        // Forks beyond the limit were refused, and the container never held more than 20 tasks.
        assert.ok(pidsEvents(placement.procsFiles) > 0, 'pids.events shows no refused fork');
        const stats = await driver.stats(id);
        assert.equal(stats.pidsLimit, 20);
        assert.ok((stats.pids ?? 0) <= 20, `${stats.pids} tasks`);
      } finally {
        await driver.destroy(id);
      }
      assert.equal(await bomb.exited, 137);
      assert.equal(
        placement.procsFiles.some((f) => existsSync(f)),
        false,
      );
    },
  },
  {
    name: 'a CPU quota throttles a busy loop (nr_throttled grows)',
    async run({ driver }) {
      const id = newContainerId();
      const placement = await driver.create(id, { nanoCpus: parseCpus('0.2') }, DEVICES);
      try {
        assert.equal((await driver.stats(id)).cpuThrottledPeriods ?? 0, 0);
        const started = process.hrtime.bigint();
        await runIn(placement, `timeout 2 sh -c 'while :; do :; done'`);
        const wall = Number(process.hrtime.bigint() - started);
        const after = await driver.stats(id);
        assert.ok((after.cpuThrottledPeriods ?? 0) > 0, `nr_throttled ${after.cpuThrottledPeriods}`);
        // At 0.2 CPU the loop gets a fifth of the wall time; unthrottled it would get all of it.
        const share = (after.cpuUsageNanos ?? Infinity) / wall;
        assert.ok(share < 0.5, `${after.cpuUsageNanos} ns of CPU in ${wall} ns`);
      } finally {
        await driver.destroy(id);
      }
    },
  },
  {
    name: "exec'd processes join the same cgroups; a cgroup namespace shows them as /",
    async run({ driver, mode }) {
      const id = newContainerId();
      const placement = await driver.create(id, {}, DEVICES);
      const main = startIn(placement, 'sleep 300');
      try {
        await joined(placement, main);
        assert.deepEqual(await driver.placement(id), placement);
        const { output } = await runIn(await driver.placement(id), 'cat /proc/self/cgroup');
        const lines = output.split('\n').filter((line) => line.includes(id));
        assert.equal(lines.length, placement.procsFiles.length, output);
        if (mode !== 'legacy') assert.ok(output.includes(`0::${placement.namespaceRoot}\n`), output);
        const inNamespace = await runIn(placement, 'unshare --cgroup cat /proc/self/cgroup');
        assert.ok(!inNamespace.output.includes(id), inNamespace.output);
        if (mode !== 'legacy') assert.ok(inNamespace.output.includes('0::/\n'), inNamespace.output);
        assert.ok(((await driver.stats(id)).pids ?? 1) >= 1);
      } finally {
        await driver.destroy(id);
      }
      assert.equal(await main.exited, 137);
    },
  },
  {
    // v1 devices cgroup on legacy and hybrid hosts, a BPF device program on unified ones.
    name: 'the default device policy: a host loop device made with mknod is unusable, /dev/null and /dev/zero work',
    async run({ driver }) {
      const id = newContainerId();
      const placement = await driver.create(id, {}, DEVICES);
      const dir = mkdtempSync('/tmp/koker-devices-');
      try {
        const { code, output } = await runIn(
          placement,
          `sh -c 'mknod ${dir}/loop b 7 0 && echo made; echo X | dd of=${dir}/loop conv=notrunc 2>&1; ` +
            `dd if=${dir}/loop of=/dev/null count=1 2>&1; head -c 3 /dev/zero | wc -c; echo x > /dev/null && echo null-ok'`,
        );
        assert.equal(code, 0, output);
        assert.ok(output.includes('made\n'), output);
        assert.equal(output.match(/Operation not permitted/g)?.length, 2, output);
        assert.ok(output.includes('3\nnull-ok\n'), output);
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await driver.destroy(id);
      }
    },
  },
  {
    name: 'teardown kills what is left and removes every cgroup without EBUSY',
    async run({ driver }) {
      const id = newContainerId();
      const placement = await driver.create(id, { pidsLimit: 50 }, DEVICES);
      const payload = startIn(placement, `sh -c 'sleep 300 & sleep 300 & sh -c "sleep 300" & wait'`);
      await joined(placement, payload);
      await sleep(200);
      assert.ok((await driver.list()).includes(id));
      await driver.destroy(id);
      assert.equal(await payload.exited, 137);
      for (const file of placement.procsFiles) assert.equal(existsSync(dirname(file)), false, file);
      assert.ok(!(await driver.list()).includes(id));
      await driver.destroy(id);
    },
  },
  {
    name: 'limits this host cannot honour are refused before anything is created',
    async run({ driver }) {
      const id = newContainerId();
      await assert.rejects(driver.create(id, { cpusetCpus: '4000' }, DEVICES), InvalidValueError);
      await assert.rejects(
        driver.create(id, { memory: parseByteSize('2m') }, DEVICES),
        /the minimum is 6 MiB/,
      );
      await assert.rejects(driver.create(id, { nanoCpus: parseCpus('4096') }, DEVICES), /invalid CPU count/);
      assert.ok(!(await driver.list()).includes(id));
      await assert.rejects(driver.placement(id), /has no cgroup/);
    },
  },
  {
    // What `koker system prune` does with the IDs list() reports and koker has no record of.
    name: 'cgroups left by a crash are listed, and destroy removes them with their processes',
    async run({ driver }) {
      const [live, leftover] = [newContainerId(), newContainerId()];
      await driver.create(live, {}, DEVICES);
      const placement = await driver.create(leftover, {}, DEVICES);
      const crashed = startIn(placement, 'sleep 300');
      await joined(placement, crashed);
      assert.deepEqual(await driver.list(), [live, leftover].sort());
      await driver.destroy(leftover);
      assert.equal(await crashed.exited, 137);
      assert.deepEqual(await driver.list(), [live]);
      await driver.destroy(live);
      assert.deepEqual(await driver.list(), []);
    },
  },
];
