// bench/start/security.mjs: what the default isolation adds to a run, side by side in paired
// rounds (each round runs every command once, in rotating order: a shared machine's load drift
// hits them alike). koker with its defaults (device policy + seccomp filter) against
// `--security-opt seccomp=unconfined` (no filter) and `--privileged` (no filter, no device
// policy, no masked paths, but the host's /dev); runc on the same busybox rootfs without and with
// a seccomp filter (koker's default profile in OCI form), for what a filter costs another
// runtime. Run by bench/start/run.mjs into `start-security`, or alone:
//   sudo node bench/start/security.mjs      (builds its own temporary root)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureApt, loadAverage, runCleanups, writeResults } from '../lib/harness.mjs';
import { busyboxArchive, setupKoker } from '../lib/koker-root.mjs';
import { paired } from '../lib/paired.mjs';
import { busyboxBundle } from './bundle.mjs';

const OCI_OPS = {
  eq: 'SCMP_CMP_EQ',
  ne: 'SCMP_CMP_NE',
  lt: 'SCMP_CMP_LT',
  le: 'SCMP_CMP_LE',
  gt: 'SCMP_CMP_GT',
  ge: 'SCMP_CMP_GE',
  'masked-eq': 'SCMP_CMP_MASKED_EQ',
};

const ociAction = (action) =>
  action.kind === 'allow'
    ? { action: 'SCMP_ACT_ALLOW' }
    : action.kind === 'kill'
      ? { action: 'SCMP_ACT_KILL_PROCESS' }
      : { action: 'SCMP_ACT_ERRNO', errnoRet: action.errno };

/** koker's default profile as an OCI `linux.seccomp` for a process with `bounding` (CAP_*). */
async function ociSeccomp() {
  const { DEFAULT_SECCOMP_PROFILE: profile } = await import('@koker/engine');
  return (bounding) => {
    const caps = new Set(bounding.map((c) => c.replace(/^CAP_/, '')));
    const applies = (rule) =>
      (rule.includesCaps ?? []).every((c) => caps.has(c)) &&
      !(rule.excludesCaps ?? []).some((c) => caps.has(c));
    const { action: defaultAction, errnoRet: defaultErrnoRet } = ociAction(profile.defaultAction);
    return {
      defaultAction,
      defaultErrnoRet,
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: profile.rules.filter(applies).map((rule) => ({
        names: rule.names,
        ...ociAction(rule.action),
        ...(rule.args
          ? {
              args: rule.args.map((a) =>
                a.op === 'masked-eq'
                  ? { index: a.index, value: Number(a.mask), valueTwo: Number(a.value), op: OCI_OPS[a.op] }
                  : { index: a.index, value: Number(a.value), op: OCI_OPS[a.op] },
              ),
            }
          : {}),
      })),
    };
  };
}

/** The rows and notes of `start-security`: koker's three modes and runc without and with a filter. */
export async function measureSecurityCost({
  dir,
  koker,
  rounds = Number(process.env.KOKER_BENCH_SECURITY_ROUNDS ?? 15),
}) {
  ensureApt('runc');
  const plain = busyboxBundle(dir, { name: 'bundle-security-plain' });
  const filtered = busyboxBundle(dir, { name: 'bundle-security-seccomp', seccomp: await ociSeccomp() });
  const runc = (bundle, id) => `runc --root ${join(dir, 'runc-security-state')} run --bundle ${bundle} ${id}`;
  const kokerRun = (flags) => koker.command(`run --rm --network none ${flags} busybox true`);
  const commands = [
    { name: 'koker run (defaults: device policy + seccomp)', command: kokerRun('') },
    {
      name: 'koker run --security-opt seccomp=unconfined',
      command: kokerRun('--security-opt seccomp=unconfined'),
    },
    { name: 'koker run --privileged', command: kokerRun('--privileged') },
    { name: 'runc run (no seccomp)', command: runc(plain, 'koker-bench-sec-plain') },
    {
      name: "runc run (koker's default profile as OCI seccomp)",
      command: runc(filtered, 'koker-bench-sec-filter'),
    },
  ];
  for (const { command } of commands) {
    const check = spawnSync('bash', ['-c', command], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`${command} failed (${check.status}): ${check.stderr}`);
  }
  const rows = paired(commands, { rounds, baseline: commands[1].name });
  const ms = (row) => `${(row.median * 1000).toFixed(0)} ms`;
  const [kDefault, kUnconfined, kPrivileged, rPlain, rFiltered] = rows;
  return {
    rows,
    notes: [
      `Ratios are medians of per-round ratios to koker with seccomp=unconfined (so the default row's ratio is what the filter adds: compiling it in koker, and installing it in koker-init).`,
      `Medians: default ${ms(kDefault)}, unconfined ${ms(kUnconfined)}, privileged ${ms(kPrivileged)}; runc ${ms(rPlain)} without a filter, ${ms(rFiltered)} with one (${(rFiltered.median / rPlain.median).toFixed(2)}x).`,
      '--privileged drops the filter, the device policy and the masked paths but makes every host device node in /dev: it is not "the defaults minus isolation" alone.',
      `load average at the end: ${loadAverage()}`,
    ],
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  ensureApt('runc', 'busybox-static');
  const dir = mkdtempSync(join(tmpdir(), 'koker-bench-security-'));
  const cleanups = [];
  try {
    const koker = setupKoker({ dir, archive: busyboxArchive(dir) });
    cleanups.push(() => koker.cleanup());
    const { rows, notes } = await measureSecurityCost({ dir, koker });
    writeResults('start-security', {
      title:
        'What the default isolation adds to a run: koker defaults vs seccomp=unconfined vs --privileged, runc without and with a filter',
      rows,
      notes,
    });
  } finally {
    await runCleanups(cleanups);
    spawnSync('sh', [
      '-c',
      'rmdir /sys/fs/cgroup/*/koker-bench-start /sys/fs/cgroup/*/*/koker-bench-start 2>/dev/null',
    ]);
    rmSync(dir, { recursive: true, force: true });
  }
}
