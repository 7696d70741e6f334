import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-registry.js';
import { KOKER_BIN, koker, type KokerResult } from '../helpers/koker.js';
import { releaseKokerRoot } from '../helpers/koker-root.js';
import { exeScanBase64, installExeScan } from './exe-scan.js';
import { runSeccompProbe, seccompProbeBase64 } from './seccomp-probe.js';

// `koker run` end to end: the real command, as root, with an image pulled from a registry on
// loopback, against the real kernel.
let registry: FixtureRegistry;
let root: string;
let image: string;
beforeAll(async () => {
  registry = await fixtureRegistry();
  image = registry.images.busybox;
  root = mkdtempSync(join(tmpdir(), 'koker-e2e-run-'));
});
afterAll(async () => {
  await registry?.stop();
  if (root) await releaseKokerRoot(root);
});

/** `koker run --rm --network none IMAGE ...` with this suite's root. */
const run = (args: string[], options: Parameters<typeof koker>[1] = {}) =>
  koker(['--root', root, 'run', '--rm', '--network', 'none', ...args], options);
const lines = (result: KokerResult) => result.stdout.trim().split('\n');

/** Starts koker in the background; its PID and a promise of how it ended. */
function start(args: string[]) {
  const child = spawn(KOKER_BIN, ['--root', root, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const ended = new Promise<KokerResult>((resolve) =>
    child.on('close', (code, signal) => resolve({ code: code ?? -1, signal, stdout, stderr })),
  );
  return { child, ended, stdout: () => stdout };
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Host PIDs of processes whose command line is exactly `argv`. */
function pidsOf(argv: string[]): number[] {
  const want = `${argv.join('\0')}\0`;
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8') === want;
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('koker run', () => {
  it('pulls the image from the registry and runs the command, every step logged with --debug', async () => {
    const result = await koker([
      '--root',
      root,
      '-D',
      'run',
      '--rm',
      '--network',
      'none',
      image,
      'echo',
      'hello',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('hello\n');
    for (const line of [
      /DBG Call syscall clone CLONE_NEWNS\|CLONE_NEWUTS\|CLONE_NEWIPC\|CLONE_NEWPID/,
      /DBG Call syscall unshare CLONE_NEWCGROUP/,
      /DBG Mount target flags=nosuid,noexec,nodev fstype=proc source=proc target=\/proc/,
      /DBG Mount target .*source=devpts target=\/dev\/pts/,
      /DBG Make device node .*path=\/dev\/null/,
      /DBG Call syscall pivot_root/,
      /DBG Mask path target=\/proc\/keys/,
      /DBG Set hostname name=[0-9a-f]{12}/,
      /DBG Call syscall capset effective=CHOWN,DAC_OVERRIDE/,
      /DBG Execute command command=echo/,
      /INF Execute command command=echo container=[0-9a-f]{12}/,
      // koker-init's steps carry how long each took.
      /DBG Call syscall pivot_root .*\(\d+\.\d+ms\)\n/,
      /DBG Mount target flags=nosuid,noexec,nodev fstype=proc source=proc target=\/proc \(\d+\.\d+ms\)\n/,
    ])
      expect(result.stderr).toMatch(line);
  });

  it('is also koker container run, and keeps stdout and stderr apart', async () => {
    const result = await koker([
      '--root',
      root,
      'container',
      'run',
      '--rm',
      '--network',
      'none',
      image,
      'sh',
      '-c',
      'echo out; echo err >&2',
    ]);
    expect(result.stdout).toBe('out\n');
    expect(result.stderr.split('\n')).toContain('err');
    expect(result.stderr).not.toContain('out');
  });

  it('makes the command PID 1 with a private process list', async () => {
    const result = await run([image, 'sh', '-c', 'echo $$; ps -o pid= ; true']);
    const [pid, ...pids] = lines(result).map((l) => l.trim());
    expect(pid).toBe('1');
    expect(pids).toHaveLength(2); // sh and ps: nothing of the host
    expect(pids[0]).toBe('1');
  });

  it('sets the hostname: the short ID by default, or --hostname', async () => {
    expect(lines(await run([image, 'hostname']))[0]).toMatch(/^[0-9a-f]{12}$/);
    const named = await run([
      '--hostname',
      'koker-box',
      image,
      'sh',
      '-c',
      'hostname; cat /etc/hostname; grep koker-box /etc/hosts | wc -l',
    ]);
    expect(lines(named)).toEqual(['koker-box', 'koker-box', '1']);
  });

  it('keeps the container mounts invisible on the host', async () => {
    const marker = 'kokermark';
    const bg = start([
      'run',
      '--rm',
      '--network',
      'none',
      '--cap-add',
      'SYS_ADMIN',
      image,
      'sh',
      '-c',
      `mount -t tmpfs ${marker} /tmp && echo mounted && exec sleep 31337`,
    ]);
    try {
      await waitFor(() => bg.stdout().includes('mounted'), 'the mount inside');
      const [pid] = pidsOf(['sleep', '31337']);
      expect(pid).toBeDefined();
      expect(readFileSync(`/proc/${pid}/mountinfo`, 'utf8')).toContain(marker);
      const host = readFileSync('/proc/self/mountinfo', 'utf8');
      expect(host).not.toContain(marker);
      // Of the container, the host sees its overlay rootfs and nothing mounted inside it.
      expect(host.split('\n').filter((l) => / \S+\/merged\/\S+ /.test(l) && l.includes(root))).toEqual([]);
    } finally {
      bg.child.kill('SIGTERM');
      for (const pid of pidsOf(['sleep', '31337'])) process.kill(pid, 'SIGKILL');
      await bg.ended;
    }
  });

  it('gives /dev its nodes, a devpts of its own with ptmx, shm and mqueue', async () => {
    const result = await run([
      image,
      'sh',
      '-c',
      'ls /dev; ls /dev/pts; grep -E " /dev/(pts|shm|mqueue) " /proc/mounts | cut -d" " -f3; head -c 3 /dev/urandom | wc -c',
    ]);
    const out = lines(result);
    for (const node of [
      'null',
      'zero',
      'full',
      'tty',
      'random',
      'urandom',
      'pts',
      'shm',
      'mqueue',
      'fd',
      'stdin',
      'stdout',
      'stderr',
      'ptmx',
    ])
      expect(out).toContain(node);
    expect(out.filter((l) => l === 'ptmx')).toHaveLength(2); // /dev/ptmx and /dev/pts/ptmx
    expect(out.slice(-4)).toEqual(['devpts', 'mqueue', 'tmpfs', '3']);
  });

  it("has Docker's default capabilities, changed by --cap-add, --cap-drop and --privileged", async () => {
    const capEff = async (flags: string[]) =>
      lines(await run([...flags, image, 'sh', '-c', 'grep CapEff /proc/self/status']))[0]?.split(/\s+/)[1];
    expect(await capEff([])).toBe('00000000a80425fb');
    expect(await capEff(['--cap-add', 'NET_ADMIN'])).toBe('00000000a80435fb');
    expect(await capEff(['--cap-drop', 'NET_RAW', '--cap-drop', 'cap_chown'])).toBe('00000000a80405fa');
    // --privileged gives every capability koker itself has (a VM or a container host may withhold some).
    const own = /^CapBnd:\s*(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    expect(await capEff(['--privileged'])).toBe(own);
  });

  it('hides the masked paths and makes the read-only ones read-only', async () => {
    const result = await run([
      image,
      'sh',
      '-c',
      'cat /proc/keys /proc/timer_list /proc/interrupts | wc -c; ls /sys/firmware | wc -l; ' +
        '(echo 1 > /proc/sys/kernel/ns_last_pid) 2>/dev/null && echo writable || echo read-only',
    ]);
    expect(lines(result)).toEqual(['0', '0', 'read-only']);
    const privileged = await run(['--privileged', image, 'sh', '-c', 'cat /proc/interrupts | wc -c']);
    expect(Number(lines(privileged)[0])).toBeGreaterThan(0);
  });

  it('exits with the command’s code: 0, 3; 126 when it cannot run, 127 when not found', async () => {
    expect((await run([image, 'true'])).code).toBe(0);
    expect((await run([image, 'sh', '-c', 'exit 3'])).code).toBe(3);
    const denied = await run([image, '/etc']);
    expect(denied.code).toBe(126);
    expect(denied.stderr).toContain('koker: exec: "/etc": permission denied');
    const missing = await run([image, 'no-such-command']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('koker: exec: "no-such-command": executable file not found in $PATH');
    // `ls` is on the host's PATH as /usr/bin/ls; the image has no /usr/bin/ls: not found there.
    expect((await run([image, '/usr/bin/ls'])).code).toBe(127);
  });

  it('exits 137 when the container is killed, and with --init when its command is', async () => {
    const bg = start(['run', '--rm', '--network', 'none', image, 'sleep', '31338']);
    await waitFor(() => pidsOf(['sleep', '31338']).length === 1, 'the container');
    process.kill(pidsOf(['sleep', '31338'])[0] as number, 'SIGKILL');
    expect((await bg.ended).code).toBe(137);
    expect((await run(['--init', image, 'sh', '-c', 'kill -9 $$'])).code).toBe(137);
  });

  it('forwards signals to the container', async () => {
    const bg = start([
      'run',
      '--rm',
      '--network',
      'none',
      image,
      'sh',
      '-c',
      'trap "echo got TERM; exit 42" TERM; echo ready; while :; do sleep 0.1; done',
    ]);
    await waitFor(() => bg.stdout().includes('ready'), 'the trap');
    bg.child.kill('SIGTERM');
    const result = await bg.ended;
    expect(result.stdout).toBe('ready\ngot TERM\n');
    expect(result.code).toBe(42);
  });

  it('with --init, reaps zombies and forwards signals to the command', async () => {
    const reaped = await run([
      '--init',
      image,
      'sh',
      '-c',
      '(sleep 0.1 &); sleep 0.5; ps -o stat= | grep -c Z; true',
    ]);
    expect(lines(reaped)).toEqual(['0']);
    const bg = start(['run', '--rm', '--network', 'none', '--init', image, 'sleep', '31339']);
    await waitFor(() => pidsOf(['sleep', '31339']).length === 1, 'the container');
    bg.child.kill('SIGTERM');
    expect((await bg.ended).code).toBe(143);
  });

  it('gives the container koker’s stdin with -i, and /dev/null without', async () => {
    expect(
      (await run(['-i', image, 'sh', '-c', 'read line; echo "got $line"'], { input: 'hello\n' })).stdout,
    ).toBe('got hello\n');
    expect(
      (await run([image, 'sh', '-c', 'cat; readlink /proc/self/fd/0'], { input: 'hello\n' })).stdout,
    ).toBe('/dev/null\n');
  });

  it('leaks no file descriptor of koker into the container', async () => {
    expect(lines(await run([image, 'sh', '-c', 'ls /proc/$$/fd; true']))).toEqual(['0', '1', '2']);
    expect(lines(await run(['-i', image, 'sh', '-c', 'ls /proc/$$/fd; true']))).toEqual(['0', '1', '2']);
    expect(lines(await run(['--init', image, 'sh', '-c', 'ls /proc/$$/fd; true']))).toEqual(['0', '1', '2']);
  });

  it('keeps the host’s koker-init out of reach of the container, as its init too', async () => {
    // With --init, koker-init stays as PID 1: its exe, maps and fds are closed to the container
    // (non-dumpable, and no CAP_SYS_PTRACE in the container), and name a sealed memfd copy only.
    const probe = await run(
      [
        '--init',
        '-i',
        image,
        'sh',
        '-c',
        `${installExeScan('/tmp/exe-scan')} && /tmp/exe-scan probe 1 && ls /proc/1/fd && (readlink /proc/1/fd/0 || echo fd-unreadable)`,
      ],
      {
        input: exeScanBase64(),
      },
    );
    // Its fds can be counted (only stdio: no host fd is left in the container) but not opened.
    expect(lines(probe)).toEqual([
      'exe-read EACCES exe-write EACCES maps EACCES',
      '0',
      '1',
      '2',
      'fd-unreadable',
    ]);
    const privileged = await run(
      [
        '--init',
        '--cap-add',
        'SYS_PTRACE',
        '-i',
        image,
        'sh',
        '-c',
        `${installExeScan('/tmp/exe-scan')} && /tmp/exe-scan probe 1`,
      ],
      {
        input: exeScanBase64(),
      },
    );
    expect(privileged.stdout).toMatch(
      /^exe-read ok:\/memfd:koker-init \(deleted\) exe-write (ETXTBSY|EPERM|ok:\/memfd:koker-init \(deleted\)) maps ok:read\n$/,
    );
    expect(privileged.code).toBe(0);
  });

  it("applies a seccomp filter with Docker's default semantics, unless unconfined or privileged", async () => {
    const status = async (flags: string[]) =>
      lines(await run([...flags, image, 'grep', 'Seccomp:', '/proc/self/status']));
    expect(await status([])).toEqual(['Seccomp:\t2']);
    expect(await status(['--security-opt', 'seccomp=unconfined'])).toEqual(['Seccomp:\t0']);
    expect(await status(['--privileged'])).toEqual(['Seccomp:\t0']);

    // No nested user namespace (where every capability comes back).
    const unshare = await run([image, 'unshare', '-U', '-r', 'true']);
    expect(unshare.code).not.toBe(0);
    expect(unshare.stderr).toContain('Operation not permitted');
    expect(
      (await run(['--security-opt', 'seccomp=unconfined', image, 'unshare', '-U', '-r', 'true'])).code,
    ).toBe(0);

    const probe = seccompProbeBase64();
    const denied = await run(['-i', image, 'sh', '-c', runSeccompProbe], { input: probe });
    expect(lines(denied)).toEqual([
      'keyctl EPERM',
      'add_key EPERM',
      'perf_event_open EPERM',
      'io_uring_setup EPERM',
      'bpf EPERM',
      'userfaultfd EPERM',
      'clone3 ENOSYS',
    ]);
    // Unconfined, the kernel answers: bad arguments, or a key ID; bpf is still the kernel's EPERM
    // (unprivileged BPF is off on the host and the container has no CAP_BPF).
    const unconfined = await run(
      ['--security-opt', 'seccomp=unconfined', '-i', image, 'sh', '-c', runSeccompProbe],
      {
        input: probe,
      },
    );
    const results = Object.fromEntries(lines(unconfined).map((l) => l.split(' ')));
    for (const name of ['keyctl', 'add_key', 'perf_event_open', 'io_uring_setup', 'userfaultfd'])
      expect(results[name], name).not.toBe('EPERM');
    expect(results.clone3).toBe('EINVAL');

    // What ordinary programs do still works: a shell, ls, ping (a raw socket as root). On the
    // loopback of a `none` network: the default bridge is host-wide, and the suite leaves none.
    const ordinary = await koker([
      '--root',
      root,
      'run',
      '--rm',
      '--network',
      'none',
      image,
      'sh',
      '-c',
      'ls / >/dev/null && ping -c 1 -W 5 127.0.0.1 >/dev/null && echo fine',
    ]);
    expect(ordinary.stdout.trim()).toBe('fine');

    const missing = await run(['--security-opt', 'seccomp=/no/such/profile.json', image, 'true']);
    expect(missing.code).toBe(125);
    expect(missing.stderr).toContain('/no/such/profile.json');
  });

  it("takes a seccomp profile in Docker's format, and refuses by name what it does not support", async () => {
    const file = join(root, 'profile.json');
    const profile = {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
    };
    writeFileSync(file, JSON.stringify(profile));
    const custom = await run([
      '--security-opt',
      `seccomp=${file}`,
      image,
      'sh',
      '-c',
      'grep Seccomp: /proc/self/status; mkdir /tmp/d',
    ]);
    expect(lines(custom)[0]).toBe('Seccomp:\t2');
    expect(custom.stderr).toContain('Permission denied');
    expect(custom.code).not.toBe(0);

    writeFileSync(file, JSON.stringify({ ...profile, defaultAction: 'SCMP_ACT_NOTIFY' }));
    const refused = await run(['--security-opt', `seccomp=${file}`, image, 'true']);
    expect(refused.code).toBe(125);
    expect(refused.stderr).toContain('SCMP_ACT_NOTIFY');
    const unknown = await run(['--security-opt', 'systempaths=unconfined', image, 'true']);
    expect(unknown.code).toBe(125);
    expect(unknown.stderr).toContain('unknown option systempaths');
  });

  it('runs as a user and group named in the image, with supplementary groups', async () => {
    expect(lines(await run(['-u', 'app', image, 'id']))).toEqual([
      'uid=1000(app) gid=1000(app) groups=1000(app)',
    ]);
    expect(lines(await run(['-u', 'nobody:nogroup', image, 'id']))).toEqual([
      'uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)',
    ]);
    expect(lines(await run(['-u', '4242', image, 'sh', '-c', 'id; echo $HOME']))).toEqual([
      'uid=4242 gid=0(root) groups=0(root)',
      '/',
    ]);
    const caps = await run(['-u', 'app', image, 'grep', 'CapEff', '/proc/self/status']);
    expect(caps.stdout).toContain('0000000000000000');
    const ghost = await run(['-u', 'ghost', image, 'id']);
    expect(ghost.code).toBe(125);
    expect(ghost.stderr).toContain(
      "unable to find user ghost: no matching entries in the container's /etc/passwd",
    );
  });

  it('takes -e, --env-file, -w (made if missing) and --entrypoint as Docker does', async () => {
    const envFile = join(root, 'app.env');
    writeFileSync(envFile, '# comment\nA=from-file\nB=file\n');
    const env = await run([
      '--env-file',
      envFile,
      '-e',
      'A=flag',
      '-e',
      'C',
      image,
      'sh',
      '-c',
      'echo $A $B ${C-unset} $HOSTNAME $HOME; env | grep -c ^PATH=/usr/local/sbin:',
    ]);
    expect(lines(env)[0]).toMatch(/^flag file unset [0-9a-f]{12} \/root$/);
    expect(lines(env)[1]).toBe('1');
    expect(lines(await run(['-w', '/work/new', image, 'pwd']))).toEqual(['/work/new']);
    // A directory root may enter but the user may not is still the user's working directory.
    expect(
      lines(
        await run([
          '-u',
          'app',
          '-w',
          '/root',
          image,
          'sh',
          '-c',
          'pwd; ls . 2>&1 >/dev/null | grep -c denied',
        ]),
      ),
    ).toEqual(['/root', '1']);
    expect(lines(await run(['--entrypoint', 'echo', image, 'from', 'entrypoint']))).toEqual([
      'from entrypoint',
    ]);
    expect((await run(['--entrypoint', '', image])).code).toBe(125);
  });

  it('honours --read-only and --security-opt no-new-privileges', async () => {
    const ro = await run([
      '--read-only',
      image,
      'sh',
      '-c',
      'touch /x 2>/dev/null && echo writable || echo read-only; echo ok > /dev/shm/y && cat /dev/shm/y',
    ]);
    expect(lines(ro)).toEqual(['read-only', 'ok']);
    const nnp = await run([
      '--security-opt',
      'no-new-privileges',
      image,
      'grep',
      'NoNewPrivs',
      '/proc/self/status',
    ]);
    expect(nnp.stdout).toBe('NoNewPrivs:\t1\n');
  });

  it('shows the container its own cgroups at /sys/fs/cgroup, read-only (this host is hybrid)', async () => {
    const result = await run([
      '-m',
      '64m',
      '--pids-limit',
      '20',
      image,
      'sh',
      '-c',
      'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max; ' +
        // The root of each mount is the container's cgroup: the shell (PID 1) is in it.
        'grep -x 1 /sys/fs/cgroup/memory/cgroup.procs /sys/fs/cgroup/unified/cgroup.procs; ' +
        'ls /sys/fs/cgroup/unified | grep -x cgroup.controllers; ' +
        'touch /sys/fs/cgroup/memory/x 2>/dev/null && echo writable || echo read-only; ' +
        'mkdir /sys/fs/cgroup/y 2>/dev/null && echo writable || echo read-only',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(lines(result)).toEqual([
      '67108864',
      '20',
      '/sys/fs/cgroup/memory/cgroup.procs:1',
      '/sys/fs/cgroup/unified/cgroup.procs:1',
      'cgroup.controllers',
      'read-only',
      'read-only',
    ]);
    // Docker mounts them read-write for --privileged.
    const options = 'awk \'$2 == "/sys/fs/cgroup/memory" { print substr($4, 1, 2) }\' /proc/mounts | sort -u';
    expect(lines(await run([image, 'sh', '-c', options]))).toEqual(['ro']);
    expect(lines(await run(['--privileged', image, 'sh', '-c', options]))).toEqual(['rw']);
  });

  it('prints the OOM message and exits 137 when the memory limit kills it', async () => {
    const result = await run([
      '-m',
      '16m',
      '--memory-swap',
      '16m',
      image,
      'dd',
      'if=/dev/zero',
      'of=/dev/null',
      'bs=64M',
      'count=1',
    ]);
    expect(result.code).toBe(137);
    expect(result.stderr).toContain('koker: container was killed: out of memory (limit 16 MiB)');
  });

  it('gives a terminal with -t: raw mode, its size and resizes, Ctrl-C reaching the container', async () => {
    // `script` (util-linux) gives koker a pty of its own, as a user's terminal would be. koker
    // runs in the background of that terminal's shell, which then resizes the terminal.
    const container = `sh -c 'trap "stty size" WINCH; trap "echo got INT; exit 5" INT; tty; stty size; echo ready; while :; do sleep 0.1; done'`;
    const script = [
      'stty rows 33 cols 101',
      `${KOKER_BIN} -q --root ${root} run --rm --network none -it ${image} ${container} </dev/tty &`,
      'while [ ! -e ' + join(root, 'ready') + ' ]; do sleep 0.05; done',
      'stty rows 44 cols 120 </dev/tty',
      'wait $!',
    ].join('\n');
    const child = spawn('script', ['-qec', `sh -c '${script.replace(/'/g, `'\\''`)}'`, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const ended = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    await waitFor(() => out.includes('ready'), 'the container on a terminal');
    writeFileSync(join(root, 'ready'), '');
    await waitFor(() => out.includes('44 120'), 'the resize inside');
    child.stdin.write('\x03');
    const code = await ended;
    const text = out.replace(/\r/g, '');
    expect(text).toContain('/dev/pts/0\n33 101\nready\n44 120\n');
    expect(text).toContain('got INT');
    expect(code).toBe(5);
    rmSync(join(root, 'ready'));
  });

  it('ends an attached --rm run with no cleanup process: its monitor removes the files', () => {
    // strace -f follows koker's children to the end, the container's monitor included.
    const traced = (args: string[]) => {
      const out = join(root, `execs-${Date.now()}.txt`);
      const strace = ['-f', '-qq', '-e', 'trace=execve', '-e', 'signal=none', '-o', out];
      const result = spawnSync('strace', [...strace, KOKER_BIN, '--root', root, ...args], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      const execs = readFileSync(out, 'utf8');
      rmSync(out);
      return { result, monitors: execs.match(/execve\("[^"]*koker-monitor"/g)?.length ?? 0, execs };
    };
    const cleanup = /"container", "cleanup"/;
    const attached = traced([
      'run',
      '--rm',
      '--network',
      'none',
      image,
      'sh',
      '-c',
      'mkdir -p /w/a; echo x > /w/a/f',
    ]);
    expect(attached.result.status, attached.result.stderr).toBe(0);
    expect(attached.monitors).toBe(1);
    expect(attached.execs).not.toMatch(cleanup);
    // The monitor removed the rootfs koker moved aside before it ended, which strace waited for.
    expect(readdirSync(join(root, 'overlay'))).toEqual([]);
    // Detached, the monitor's cleanup settles and removes it.
    const detached = traced(['run', '-d', '--rm', '--network', 'none', image, 'true']);
    expect(detached.result.status, detached.result.stderr).toBe(0);
    expect(detached.execs).toMatch(cleanup);
    expect(readdirSync(join(root, 'overlay'))).toEqual([]);
  });

  it('leaves nothing behind: no container record, rootfs, cgroup or namespace', async () => {
    expect(readdirSync(join(root, 'containers')).filter((d) => !d.startsWith('.'))).toEqual([]);
    const overlay = join(root, 'overlay');
    // An attached --rm run moves its rootfs aside; the monitor's cleanup removes it right after.
    await waitFor(
      () => (existsSync(overlay) ? readdirSync(overlay) : []).length === 0,
      'the rootfs moved aside to be removed',
    );
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(root);
  });
});
