// The limits through the real `koker run` inside a kernel-matrix guest: an image loaded from a
// `docker save` archive (no network in the guest), koker's root on a tmpfs (the guest's root is
// an overlay, which overlayfs refuses as an upper layer), every container with --network none.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { parseContainerId } from '@koker/core';
import { type CgroupCheck } from '../cgroups/checks.js';
import { blockIoBytes } from '../helpers/decimal-size.js';
import { ALLOCATE_20_MIB, detectedDriver, pidsEvents } from '../cgroups/harness.js';

const IMAGE = 'busybox:latest';

export interface KokerRunSetup {
  readonly kokerBin: string;
  readonly archive: string;
  /** e2e/run/seccomp-probe.c built static on the host (run-matrix.mjs): the guest has no compiler to spare. */
  readonly seccompProbe?: string;
}

/** What the probe prints under koker's default filter: the same in every guest as on the host. */
const DENIED = [
  'keyctl EPERM',
  'add_key EPERM',
  'perf_event_open EPERM',
  'io_uring_setup EPERM',
  'bpf EPERM',
  'userfaultfd EPERM',
  'clone3 ENOSYS',
];

/** A koker root on a fresh tmpfs, the image loaded; the checks; then the tmpfs goes. */
export function kokerRunChecks({ kokerBin, archive, seccompProbe }: KokerRunSetup): {
  checks: CgroupCheck[];
  cleanup: () => void;
} {
  const root = mkdtempSync('/tmp/koker-guest-root-');
  let mounted = false;
  const k = (args: string[], input?: string) => {
    const result = spawnSync(process.execPath, [kokerBin, '--root', root, '-q', ...args], {
      encoding: 'utf8',
      timeout: 300_000,
      ...(input !== undefined ? { input } : {}),
    });
    return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  };
  const checks: CgroupCheck[] = [
    {
      name: 'koker load reads the busybox archive (koker root on a tmpfs)',
      async run() {
        assert.equal(spawnSync('mount', ['-t', 'tmpfs', 'koker-guest', root]).status, 0, 'mount tmpfs');
        mounted = true;
        const load = k(['load', '-i', archive]);
        assert.equal(load.code, 0, load.stderr);
      },
    },
    {
      name: "koker run --mem 10 kills the Go koker's example: exit 137 and the message",
      async run() {
        const result = k(['run', '--rm', '--network', 'none', '--mem', '10', IMAGE, ...ALLOCATE_20_MIB]);
        assert.equal(result.code, 137, result.stderr);
        assert.ok(
          result.stderr.includes('koker: container was killed: out of memory (limit 10 MiB)\n'),
          result.stderr,
        );
      },
    },
    {
      name: 'koker run -m 128m lets it complete',
      async run() {
        const result = k(['run', '--rm', '--network', 'none', '-m', '128m', IMAGE, ...ALLOCATE_20_MIB]);
        assert.equal(result.code, 0, result.stderr);
      },
    },
    {
      name: 'koker run -d --pids-limit 20 --cpus 0.5 holds a fork bomb, throttled; rm -f removes it',
      async run() {
        const started = k([
          'run',
          '-d',
          '--network',
          'none',
          '--pids-limit',
          '20',
          '--cpus',
          '0.5',
          IMAGE,
          'sh',
          '-c',
          'bomb() { bomb | bomb & }; bomb; exec sleep 300',
        ]);
        assert.equal(started.code, 0, started.stderr);
        const id = parseContainerId(started.stdout.trim());
        const { driver } = await detectedDriver(root);
        const { procsFiles } = await driver.placement(id);
        const deadline = Date.now() + 60_000;
        while (pidsEvents(procsFiles) === 0 && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 200));
        assert.ok(pidsEvents(procsFiles) > 0, 'no fork was refused');
        const stats = await driver.stats(id);
        assert.ok((stats.pids ?? 99) <= 20, `${stats.pids} tasks`);
        assert.ok((stats.cpuThrottledPeriods ?? 0) > 0, 'not throttled');
        const removed = k(['rm', '-f', id]);
        assert.equal(removed.code, 0, removed.stderr);
        await assert.rejects(driver.placement(id), /has no cgroup/);
      },
    },
    {
      name: 'koker run -m 64m: the container reads its limit at /sys/fs/cgroup (memory.max or memory.limit_in_bytes)',
      async run() {
        const result = k([
          'run',
          '--rm',
          '--network',
          'none',
          '-m',
          '64m',
          IMAGE,
          'sh',
          '-c',
          // cgroup2 at the top on unified hosts; the memory hierarchy on legacy and hybrid ones.
          'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes',
        ]);
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stdout, '67108864\n', result.stderr);
      },
    },
    {
      name: 'koker run: a host loop device made with mknod is unusable, /dev/null, /dev/zero, /dev/urandom work',
      async run() {
        const result = k([
          'run',
          '--rm',
          '--network',
          'none',
          IMAGE,
          'sh',
          '-c',
          'mknod /tmp/d b 7 0 && echo made; echo X | dd of=/tmp/d conv=notrunc 2>&1; ' +
            'echo x > /dev/null && echo null-ok; head -c 3 /dev/zero | wc -c; head -c 3 /dev/urandom | wc -c',
        ]);
        assert.equal(result.code, 0, result.stderr);
        assert.ok(result.stdout.startsWith('made\n'), result.stdout);
        assert.ok(result.stdout.includes('Operation not permitted'), result.stdout);
        assert.ok(result.stdout.endsWith('null-ok\n3\n3\n'), result.stdout);
      },
    },
    {
      name: 'koker run --privileged: every device (the kernel log, c 1:11, opens; not without it)',
      async run() {
        const read =
          'mknod /tmp/d c 1 11 && dd if=/tmp/d bs=8192 count=1 2>&1 >/dev/null | grep -c "not permitted"';
        const privileged = k(['run', '--rm', '--network', 'none', '--privileged', IMAGE, 'sh', '-c', read]);
        assert.equal(privileged.stdout, '0\n', privileged.stderr);
        const confined = k(['run', '--rm', '--network', 'none', IMAGE, 'sh', '-c', read]);
        assert.equal(confined.stdout, '1\n', confined.stderr);
      },
    },
    {
      name: "koker run: the default seccomp filter (Seccomp: 2): the probe's blocked calls fail as on the host; unconfined: none",
      async run() {
        assert.ok(seccompProbe, 'no seccomp probe given');
        const probe = readFileSync(seccompProbe).toString('base64');
        const script =
          'grep Seccomp: /proc/self/status; base64 -d > /tmp/probe && chmod +x /tmp/probe && /tmp/probe; ' +
          'unshare -U -r true 2>/dev/null && echo unshare ok || echo unshare refused';
        const confined = k(['run', '--rm', '-i', '--network', 'none', IMAGE, 'sh', '-c', script], probe);
        assert.equal(confined.code, 0, confined.stderr);
        assert.deepEqual(confined.stdout.trim().split('\n'), ['Seccomp:\t2', ...DENIED, 'unshare refused']);
        const unconfined = k(
          [
            'run',
            '--rm',
            '-i',
            '--network',
            'none',
            '--security-opt',
            'seccomp=unconfined',
            IMAGE,
            'sh',
            '-c',
            script,
          ],
          probe,
        );
        assert.equal(unconfined.code, 0, unconfined.stderr);
        const lines = unconfined.stdout.trim().split('\n');
        assert.equal(lines[0], 'Seccomp:\t0');
        for (const name of [
          'keyctl',
          'add_key',
          'perf_event_open',
          'io_uring_setup',
          'userfaultfd',
          'clone3',
        ])
          assert.ok(!DENIED.includes(lines.find((l) => l.startsWith(`${name} `)) ?? ''), unconfined.stdout);
      },
    },
    {
      name: 'koker stats --no-stream: BLOCK I/O counts O_DIRECT writes and reads (a root of its own on a loop disk)',
      async run() {
        // The guest has no disk and koker's root is a tmpfs: an ext4 on a loop device is one.
        const image = `${root}/disk.img`;
        const diskRoot = mkdtempSync('/tmp/koker-guest-disk-');
        const undo: (() => void)[] = [() => rmSync(diskRoot, { recursive: true, force: true })];
        const sh = (command: string, args: string[]) => {
          const result = spawnSync(command, args, { encoding: 'utf8' });
          assert.equal(result.status, 0, `${command} ${args.join(' ')}: ${result.stderr}`);
          return result.stdout.trim();
        };
        try {
          // The guest's modprobe (guest-init.sh) reads the unpacked kernel package's modules.
          for (const module of ['loop', 'ext4']) spawnSync('/run/guest/modprobe', [module]);
          sh('truncate', ['-s', '96M', image]);
          undo.push(() => rmSync(image, { force: true }));
          const loop = sh('losetup', ['-f', '--show', image]);
          undo.push(() => spawnSync('losetup', ['-d', loop]));
          sh('mkfs.ext4', ['-q', loop]);
          sh('mount', [loop, diskRoot]);
          undo.push(() => spawnSync('umount', ['-R', '-l', diskRoot]));
          const kd = (args: string[]) =>
            spawnSync(process.execPath, [kokerBin, '--root', diskRoot, '-q', ...args], {
              encoding: 'utf8',
              timeout: 300_000,
            });
          const must = (args: string[]) => {
            const result = kd(args);
            assert.equal(result.status, 0, `koker ${args.join(' ')}: ${result.stderr}`);
            return result.stdout;
          };
          must(['load', '-i', archive]);
          const id = must(['run', '-d', '--network', 'none', IMAGE, 'sleep', '300']).trim();
          undo.splice(1, 0, () => kd(['rm', '-f', id]));
          const blockIo = () => blockIoBytes(must(['stats', '--no-stream', '--format', '{{.BlockIO}}', id]));
          const before = blockIo();
          must(['exec', id, 'dd', 'if=/dev/zero', 'of=/blockfile', 'bs=1M', 'count=8', 'oflag=direct']);
          const written = blockIo();
          assert.ok(written.write - before.write >= 8e6, `wrote ${written.write - before.write} bytes`);
          must(['exec', id, 'dd', 'if=/blockfile', 'of=/dev/null', 'bs=1M', 'iflag=direct']);
          const read = blockIo();
          assert.ok(read.read - written.read >= 8e6, `read ${read.read - written.read} bytes`);
        } finally {
          for (const step of undo.reverse()) step();
        }
      },
    },
  ];
  return {
    checks,
    cleanup: () => {
      // Whatever koker left mounted under its root is a leak worth seeing.
      const left = readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .map((line) => line.split(' ')[4] ?? '')
        .filter((target) => target.startsWith(`${root}/`));
      if (left.length > 0) console.log(`left mounted under the koker root: ${left.join(' ')}`);
      if (mounted) spawnSync('umount', ['-R', '-l', root]);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
