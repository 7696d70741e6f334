// Runs inside a kernel-matrix guest (bundled by run-matrix.mjs): the cgroup checks of the e2e
// suite, against the layout the guest was booted with (GUEST_CGLAYOUT), and what the built
// `koker` (argv[2]: its bin/koker.js) says about the host.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { release } from 'node:os';
import { dirname, join } from 'node:path';
import { CGROUP_CHECKS, type CgroupCheck } from '../cgroups/checks.js';
import { EXPECTED_DRIVER, detectedDriver } from '../cgroups/harness.js';
import { RUN_CHECKS } from '../run/checks.js';
import { kokerRunChecks } from './koker-run-checks.js';
import { startWatchdog } from './watchdog.js';

const kokerBin = process.argv[2];
// The launcher's helper, next to the koker being tested (this file is bundled elsewhere).
if (kokerBin) process.env.KOKER_NATIVE_HELPER ??= join(dirname(kokerBin), '../../../native/build/koker-init');
// A `docker save` archive of busybox: the limits are then also checked through `koker run`.
const archive = process.argv[3];
// e2e/run/seccomp-probe.c, built static on the host.
const seccompProbe = process.argv[4];

const kokerInfo: CgroupCheck = {
  name: 'koker info shows the layout and selects its driver',
  async run({ mode }) {
    assert.ok(kokerBin, 'no koker bin given');
    const info = JSON.parse(
      execFileSync(process.execPath, [kokerBin, 'info', '--format', 'json'], { encoding: 'utf8' }),
    ) as { cgroupLayout: { mode: string }; drivers: { resources: { selected?: string } } };
    assert.equal(info.cgroupLayout.mode, mode);
    assert.equal(info.drivers.resources.selected, EXPECTED_DRIVER[mode as keyof typeof EXPECTED_DRIVER]);
  },
};

const expected = process.env.GUEST_CGLAYOUT;
const detected = await detectedDriver();
const started = Date.now();
let failed = 0;
console.log(
  `KERNEL ${release()} node ${process.versions.node} layout=${detected.mode} driver=${detected.name}`,
);
if (expected !== undefined && detected.mode !== expected) {
  console.log(`FAIL layout: detected ${detected.mode}, the guest was booted ${expected}`);
  failed += 1;
}
const throughKoker =
  kokerBin && archive
    ? kokerRunChecks({ kokerBin, archive, ...(seccompProbe ? { seccompProbe } : {}) })
    : undefined;
const all = [kokerInfo, ...CGROUP_CHECKS, ...RUN_CHECKS, ...(throughKoker?.checks ?? [])];
// KOKER_GUEST_CHECKS (a regular expression on the names) and KOKER_GUEST_REPEAT chase a flaky
// check; the `koker run` checks need 'koker load' among them.
const only = process.env.KOKER_GUEST_CHECKS ? new RegExp(process.env.KOKER_GUEST_CHECKS) : undefined;
const repeat = Math.max(1, Number(process.env.KOKER_GUEST_REPEAT ?? '1') || 1);
const selected = all.filter((check) => !only || only.test(check.name));
const checks = Array.from({ length: repeat }, () => selected).flat();
const watchdog = startWatchdog(Number(process.env.KOKER_GUEST_CHECK_TIMEOUT_MS ?? '180000'));
for (const check of checks) {
  const t0 = Date.now();
  watchdog.start(check.name);
  try {
    await check.run(detected);
    console.log(`ok   ${check.name} (${Date.now() - t0} ms)`);
  } catch (error) {
    failed += 1;
    console.log(`FAIL ${check.name}: ${(error as Error).message.split('\n').slice(0, 6).join(' | ')}`);
  } finally {
    watchdog.done();
  }
}
await watchdog.stop();
for (const id of await detected.driver.list()) await detected.driver.destroy(id);
detected.cleanup();
throughKoker?.cleanup();
console.log(
  `RESULT ${failed === 0 ? 'PASS' : 'FAIL'} layout=${detected.mode} driver=${detected.name} checks=${checks.length} failed=${failed} (${Date.now() - started} ms)`,
);
process.exit(failed === 0 ? 0 : 1);
