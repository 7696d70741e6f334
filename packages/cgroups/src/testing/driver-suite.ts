import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  DEFAULT_CONFIG,
  InvalidValueError,
  newContainerId,
  type CgroupMode,
  type HostView,
  type ProbeContext,
  type ProbeResult,
  type ResourceDriver,
} from '@koker/core';
import { describeResourcesDriver, recordingLogger, type TestFunctions } from '@koker/core/testing';
import { type CgroupDriverDeps } from '../cgroup-resource-driver.js';
import { FakeCgroupHost } from './fake-cgroupfs.js';

export interface CgroupDriverSuiteOptions {
  /** The driver's name, as the catalog lists it. */
  readonly name: string;
  /** The one host layout the driver serves. */
  readonly mode: Exclude<CgroupMode, 'none'>;
  readonly probe: (context: ProbeContext) => ProbeResult;
  readonly create: (deps: CgroupDriverDeps) => ResourceDriver;
}

const ROOT = '/tmp/koker-conformance-root';
const MODES: readonly CgroupMode[] = ['legacy', 'hybrid', 'unified', 'none'];

function hostWith(mode: CgroupMode, isRoot: boolean): HostView {
  return {
    kernelRelease: '6.1.0',
    mounts: [],
    filesystems: [],
    isRoot,
    cgroupLayout: { mode, unifiedControllers: [], v1: [], self: {} },
  };
}

/**
 * What every cgroup driver shares, whatever its layout: its probe, the ResourceDriver contract
 * on a fake cgroupfs of its layout, and `--cgroup-parent`. Each driver's own tests cover the
 * files its layout writes.
 */
export function describeCgroupDriver(t: TestFunctions, options: CgroupDriverSuiteOptions): void {
  const { mode } = options;
  // Where a container's cgroup shows in the fake tree: the memory hierarchy, or cgroup2's.
  const hierarchy = mode === 'unified' ? 'cgroup2' : 'memory';
  let nextPid = 5000;
  const deps = (fake: FakeCgroupHost, runRoot?: string): CgroupDriverDeps => ({
    host: fake.host(),
    config: { root: ROOT, runRoot },
    log: recordingLogger().log,
    fs: fake.fs,
    kill: fake.kill,
    deviceAttacher: fake.deviceAttacher,
  });

  t.describe(`${options.name} probe`, () => {
    t.it(`is usable on a ${mode} host as root, and only there`, () => {
      const context = (host: HostView): ProbeContext => ({ host, config: DEFAULT_CONFIG });
      assert.deepEqual(options.probe(context(hostWith(mode, true))), {
        usable: true,
        details: { layout: mode },
      });
      for (const other of MODES.filter((m) => m !== mode))
        assert.deepEqual(options.probe(context(hostWith(other, true))), {
          usable: false,
          reason: `the host's cgroup layout is ${other}, not ${mode}`,
        });
      assert.deepEqual(options.probe(context(hostWith(mode, false))), {
        usable: false,
        reason: 'managing cgroups needs root',
      });
    });
  });

  // The ResourceDriver contract, against a cgroupfs that behaves like the kernel's.
  describeResourcesDriver(t, {
    name: `${options.name} on a fake ${mode} cgroupfs`,
    create: () => {
      const fake = new FakeCgroupHost({ mode });
      return {
        driver: options.create(deps(fake)),
        startProcess: (placement) => {
          const pid = nextPid++;
          for (const file of placement.procsFiles) fake.addProcess(dirname(file), pid);
          return { pid, alive: () => !fake.killed.includes(pid) };
        },
        leftovers: () => fake.cgroups(),
        dispose: () => fake.cleanup(),
      };
    },
  });

  t.describe(`${options.name} --cgroup-parent`, () => {
    t.it('places the container under the path asked for, made if missing and removed with it', async () => {
      const fake = new FakeCgroupHost({ mode });
      const runRoot = mkdtempSync('/tmp/koker-unit-run-');
      try {
        const driver = options.create(deps(fake, runRoot));
        const id = newContainerId();
        const placement = await driver.create(id, { cgroupParent: '/team/web', pidsLimit: 5 }, []);
        assert.ok(placement.procsFiles.includes(fake.path(hierarchy, 'team', 'web', id, 'cgroup.procs')));
        assert.equal(placement.namespaceRoot, `/team/web/${id}`);
        assert.deepEqual(await driver.placement(id), placement);
        assert.deepEqual(await driver.list(), [id]);
        await driver.destroy(id);
        assert.equal(fake.fs.exists(fake.path(hierarchy, 'team')), false);
        assert.deepEqual(await driver.list(), []);
        for (const bad of ['../up', '/a/../b', 'a b'])
          await assert.rejects(driver.validate({ cgroupParent: bad }), InvalidValueError);
      } finally {
        rmSync(runRoot, { recursive: true, force: true });
        fake.cleanup();
      }
    });
  });
}
