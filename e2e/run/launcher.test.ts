import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  rmdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandNotExecutableError, CommandNotFoundError } from '@koker/core';
import { DEFAULT_MASKED_PATHS } from '@koker/engine';
import { makeBusyboxRootfs } from '../helpers/busybox-rootfs.js';
import { execIn, launchIn } from '../helpers/launch.js';

// The launcher (TypeScript plan + native koker-init) against a plain busybox directory, no
// images, overlayfs or cgroup drivers: what `koker run` does once those have done their part.
let box: ReturnType<typeof makeBusyboxRootfs>;
beforeAll(() => {
  box = makeBusyboxRootfs();
});
afterAll(() => box?.remove());

const sh = (script: string) => ['sh', '-c', script];

describe('the launcher', () => {
  it('runs a command found on the image PATH and logs every step', async () => {
    const result = await launchIn(box.rootfs, ['echo', 'hello']);
    expect(result.status).toEqual({ code: 0 });
    expect(result.stdout).toBe('hello\n');
    const messages = result.logs.map((l) => l.msg);
    for (const step of [
      'Call syscall pivot_root',
      'Set hostname',
      'Enable the link device',
      'Execute command',
    ])
      expect(messages).toContain(step);
    expect(
      messages.some((m) =>
        String(m).startsWith(
          'Call syscall clone CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWPID|CLONE_NEWNET',
        ),
      ),
    ).toBe(true);
    expect(result.logs).toContainEqual(
      expect.objectContaining({ msg: 'Mount target', source: 'proc', target: '/proc' }),
    );
    expect(result.logs).toContainEqual(expect.objectContaining({ msg: 'Execute command', command: 'echo' }));
  });

  it('keeps stdout and stderr apart', async () => {
    const result = await launchIn(box.rootfs, sh('echo out; echo err >&2'));
    expect(result.stdout).toBe('out\n');
    expect(result.stderr).toBe('err\n');
  });

  it('makes the command PID 1 with a private process list', async () => {
    const result = await launchIn(box.rootfs, sh('echo $$; ps -o pid,comm; true'));
    const [pid, header, ...rows] = result.stdout.trim().split('\n');
    expect(pid).toBe('1');
    expect(header).toMatch(/PID/);
    expect(rows.map((r) => r.trim().split(/\s+/)[0])).toEqual(['1', expect.stringMatching(/^\d+$/)]);
  });

  it('sets the hostname in its own UTS namespace, with /etc/hostname and /etc/hosts of its own', async () => {
    const result = await launchIn(
      box.rootfs,
      sh('hostname; cat /etc/hostname; grep -c localhost /etc/hosts'),
      {
        plan: { hostname: 'koker-box' },
      },
    );
    const [name, file, hosts] = result.stdout.trim().split('\n');
    expect(name).toBe('koker-box');
    expect(file).toMatch(/^[0-9a-f]{12}$/);
    expect(Number(hosts)).toBeGreaterThan(0);
    expect(readFileSync('/proc/sys/kernel/hostname', 'utf8').trim()).not.toBe('koker-box');
    // Nothing was written into the image: the files are bind mounts.
    expect(existsSync(join(box.rootfs, 'etc', 'hostname'))).toBe(true);
    expect(readFileSync(join(box.rootfs, 'etc', 'hostname'), 'utf8')).toBe('');
  });

  it('has only lo, up, in its network namespace', async () => {
    const result = await launchIn(
      box.rootfs,
      sh('ip -o link; ping -c1 -W1 127.0.0.1 >/dev/null && echo reachable'),
    );
    const links = result.stdout.split('\n').filter((l) => /^\d+:/.test(l));
    expect(links).toHaveLength(1);
    expect(links[0]).toMatch(/^1: lo: <LOOPBACK,UP,LOWER_UP>/);
    expect(result.stdout).toContain('reachable');
  });

  it('keeps its mounts out of the host', async () => {
    const result = await launchIn(
      box.rootfs,
      // `ready` appears after the echo: the kill below never races the output it asserts.
      sh('mount -t tmpfs kokermark /tmp && echo mounted && touch /tmp/ready && sleep 30'),
      {
        flags: { capAdd: ['SYS_ADMIN'] },
        during: async (process) => {
          await waitFor(() => existsSync(`/proc/${process.pid}/root/tmp/ready`));
          expect(readFileSync(`/proc/${process.pid}/mountinfo`, 'utf8')).toContain('kokermark');
          const host = readFileSync('/proc/self/mountinfo', 'utf8');
          expect(host).not.toContain('kokermark');
          expect(host).not.toContain(box.rootfs);
          process.kill('SIGKILL');
        },
      },
    );
    expect(result.stdout).toBe('mounted\n');
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(box.rootfs);
  });

  it("builds Docker's /dev: device nodes, a new devpts with ptmx, shm, mqueue and the fd links", async () => {
    const result = await launchIn(
      box.rootfs,
      sh(
        'for d in null zero full tty random urandom; do stat -c "%n %F %t:%T %a" /dev/$d; done; ' +
          'ls /dev/pts; for l in fd stdin stdout stderr ptmx; do readlink /dev/$l; done; ' +
          'grep -E " /dev/(pts|shm|mqueue) " /proc/self/mounts | cut -d" " -f1-3; ' +
          'head -c 4 /dev/zero | wc -c; echo x > /dev/null && echo null-ok',
      ),
    );
    const lines = result.stdout.trim().split('\n');
    expect(lines.slice(0, 6)).toEqual([
      '/dev/null character special file 1:3 666',
      '/dev/zero character special file 1:5 666',
      '/dev/full character special file 1:7 666',
      '/dev/tty character special file 5:0 666',
      '/dev/random character special file 1:8 666',
      '/dev/urandom character special file 1:9 666',
    ]);
    expect(lines[6]).toBe('ptmx');
    expect(lines.slice(7, 12)).toEqual([
      '/proc/self/fd',
      '/proc/self/fd/0',
      '/proc/self/fd/1',
      '/proc/self/fd/2',
      'pts/ptmx',
    ]);
    expect(lines.slice(12, 15).sort()).toEqual([
      'devpts /dev/pts devpts',
      'mqueue /dev/mqueue mqueue',
      'shm /dev/shm tmpfs',
    ]);
    expect(lines.slice(15)).toEqual(['4', 'null-ok']);
  });

  it("gives Docker's default capabilities, changed by cap-add and cap-drop", async () => {
    const capEff = async (flags = {}) =>
      (await launchIn(box.rootfs, sh('grep CapEff /proc/self/status'), { flags })).stdout
        .trim()
        .split(/\s+/)[1];
    expect(await capEff()).toBe('00000000a80425fb');
    expect(await capEff({ capAdd: ['NET_ADMIN'] })).toBe('00000000a80435fb');
    expect(await capEff({ capDrop: ['chown', 'CAP_KILL'] })).toBe('00000000a80425da');
    expect(await capEff({ capDrop: ['ALL'], capAdd: ['SYS_ADMIN'] })).toBe('0000000000200000');
    const bounding = await launchIn(box.rootfs, sh('grep CapBnd /proc/self/status'));
    expect(bounding.stdout).toContain('00000000a80425fb');
  });

  it('hides the masked paths and makes the read-only ones read-only', async () => {
    // Those this kernel has: each reads as empty inside.
    const files = DEFAULT_MASKED_PATHS.filter((p) => existsSync(p) && !statSync(p).isDirectory());
    const dirs = DEFAULT_MASKED_PATHS.filter((p) => existsSync(p) && statSync(p).isDirectory());
    // They are not empty on the host: /proc/interrupts, /proc/keys, /proc/timer_list at least.
    expect(files.filter((f) => readFileSync(f).length > 0).length).toBeGreaterThan(1);
    const result = await launchIn(
      box.rootfs,
      sh(
        `for f in ${files.join(' ')}; do wc -c < $f; done; for d in ${dirs.join(' ')} /dev/null; do ls -A $d | wc -l; done; ` +
          'echo 1 > /proc/sys/vm/drop_caches 2>/dev/null && echo writable || echo read-only; ' +
          'echo b > /proc/sysrq-trigger 2>/dev/null && echo writable || echo read-only; ' +
          'touch /sys/koker 2>/dev/null && echo writable || echo read-only',
      ),
    );
    expect(result.stdout.trim().split('\n')).toEqual([
      ...files.map(() => '0'),
      ...dirs.map(() => '0'),
      '1',
      'read-only',
      'read-only',
      'read-only',
    ]);
  });

  it('leaks no file descriptor of koker into the container', async () => {
    const result = await launchIn(box.rootfs, sh('ls /proc/$$/fd; true'));
    expect(result.stdout.trim().split('\n')).toEqual(['0', '1', '2']);
  });

  it('returns the exit code of the command, and 128+signal when it is killed', async () => {
    expect((await launchIn(box.rootfs, sh('exit 3'))).status).toEqual({ code: 3 });
    const killed = await launchIn(box.rootfs, ['sleep', '30'], {
      during: async (process) => process.kill('SIGKILL'),
    });
    expect(killed.status).toEqual({ signal: 9 });
  });

  it('fails with 127 for a command not found on the image PATH, and 126 for one that cannot run', async () => {
    // `ls` exists on the host's PATH as /usr/bin/ls, not in the image: the image's PATH decides.
    rmSync(join(box.rootfs, 'bin', 'tac'));
    await expect(launchIn(box.rootfs, ['tac'])).rejects.toThrow(CommandNotFoundError);
    await expect(launchIn(box.rootfs, ['tac'])).rejects.toThrow(
      'exec: "tac": executable file not found in $PATH',
    );
    symlinkSync('busybox', join(box.rootfs, 'bin', 'tac'));
    await expect(launchIn(box.rootfs, ['/no/such/file'])).rejects.toThrow(CommandNotFoundError);
    await expect(launchIn(box.rootfs, ['/etc'])).rejects.toThrow(CommandNotExecutableError);
    await expect(launchIn(box.rootfs, ['/etc/passwd'])).rejects.toThrow(
      'exec: "/etc/passwd": permission denied',
    );
  });

  it('forwards signals to the container', async () => {
    const result = await launchIn(
      box.rootfs,
      sh('trap "echo got TERM; exit 42" TERM; echo ready; while :; do sleep 0.05; done'),
      {
        during: async (process) => {
          await new Promise((r) => setTimeout(r, 300));
          process.kill('SIGTERM');
        },
      },
    );
    expect(result.stdout).toBe('ready\ngot TERM\n');
    expect(result.status).toEqual({ code: 42 });
  });

  it('runs as a user and groups named in the container /etc/passwd and /etc/group', async () => {
    const id = async (user: string) =>
      (await launchIn(box.rootfs, ['id'], { flags: { user } })).stdout.trim();
    expect(await id('koker')).toBe('uid=1234(koker) gid=1234(koker) groups=10(wheel),29(audio),1234(koker)');
    expect(await id('')).toBe('uid=0(root) gid=0(root) groups=0(root),10(wheel)');
    expect(await id('koker:audio')).toBe('uid=1234(koker) gid=29(audio) groups=29(audio)');
    expect(await id('4321:4321')).toBe('uid=4321 gid=4321 groups=4321');
    const caps = await launchIn(box.rootfs, sh('grep -E "CapEff|CapBnd" /proc/self/status; echo $HOME'), {
      flags: { user: 'koker' },
    });
    expect(caps.stdout.split('\n').slice(0, 3)).toEqual([
      'CapEff:\t0000000000000000',
      'CapBnd:\t00000000a80425fb',
      '/home/koker',
    ]);
  });

  it('creates a missing working directory and sets no_new_privs when asked', async () => {
    const result = await launchIn(box.rootfs, sh('pwd; grep NoNewPrivs /proc/self/status'), {
      flags: { workdir: '/work/here', noNewPrivileges: true },
    });
    expect(result.stdout).toBe('/work/here\nNoNewPrivs:\t1\n');
  });

  it('gives a terminal with -t', async () => {
    const result = await launchIn(box.rootfs, sh('tty; [ -t 0 ] && [ -t 1 ] && echo both-tty'), {
      flags: { tty: true },
    });
    expect(result.stdout.replace(/\r/g, '')).toBe('/dev/pts/0\nboth-tty\n');
  });

  it('with --init, runs a minimal init as PID 1 that reaps zombies and passes the exit code', async () => {
    const result = await launchIn(
      box.rootfs,
      sh('(sleep 0.1 &); sleep 0.5; echo $$; ps -o pid,stat,comm; exit 7'),
      { init: true },
    );
    const [pid, , ...rows] = result.stdout.trim().split('\n');
    expect(pid).not.toBe('1');
    expect(rows.find((r) => r.trim().startsWith('1 '))).toMatch(/koker-init/);
    expect(rows.some((r) => / Z /.test(r))).toBe(false);
    expect(result.status).toEqual({ code: 7 });
  });

  it('never follows a symlink of the image out of the rootfs', async () => {
    const victim = join(box.dir, 'victim');
    mkdirSync(victim);
    const evil = makeBusyboxRootfs();
    try {
      // An image whose /dev and /etc/hostname point at the host: mounts must land inside it.
      symlinkSync(victim, join(evil.rootfs, 'dev'));
      symlinkSync(join(victim, 'hostname'), join(evil.rootfs, 'etc', 'hostname'));
      const result = await launchIn(evil.rootfs, sh('ls /dev/null && cat /etc/hostname'));
      expect(result.status).toEqual({ code: 0 });
      expect(readdirSync(victim)).toEqual([]);
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(victim);
    } finally {
      evil.remove();
      rmdirSync(victim);
    }
  });

  it('joins the cgroups it is given, with a cgroup namespace rooted there', async () => {
    const cgroup = `/sys/fs/cgroup/pids/koker-e2e-${process.pid}`;
    mkdirSync(cgroup);
    try {
      writeFileSync(join(cgroup, 'pids.max'), '5');
      const result = await launchIn(
        box.rootfs,
        sh('cat /proc/self/cgroup | grep pids; cat /proc/1/cgroup | grep -c pids'),
        {
          plan: { cgroups: { procsFiles: [join(cgroup, 'cgroup.procs')] } },
        },
      );
      expect(result.stdout.split('\n')[0]).toMatch(/^\d+:pids:\/$/);
      expect(readFileSync(join(cgroup, 'pids.max'), 'utf8').trim()).toBe('5');
    } finally {
      rmdirSync(cgroup);
    }
  });

  it('exec joins every namespace and cgroup of a running container', async () => {
    const cgroup = `/sys/fs/cgroup/pids/koker-e2e-exec-${process.pid}`;
    mkdirSync(cgroup);
    try {
      const procs = join(cgroup, 'cgroup.procs');
      let exec: Awaited<ReturnType<typeof execIn>> | undefined;
      await launchIn(box.rootfs, sh('echo inside > /tmp/mark; sleep 30'), {
        plan: { hostname: 'koker-exec', cgroups: { procsFiles: [procs] } },
        during: async (container) => {
          await waitFor(() => existsSync(`/proc/${container.pid}/root/tmp/mark`));
          exec = await execIn(
            container.pid,
            sh(
              'echo $$; hostname; cat /tmp/mark; ps -o pid,comm | grep -c sleep; ip -o link | wc -l; id; pwd',
            ),
            { rootfs: box.rootfs, procsFiles: [procs], flags: { user: 'koker', workdir: '/tmp' } },
          );
          expect(readFileSync(procs, 'utf8').trim().split('\n')).toContain(String(container.pid));
          container.kill('SIGKILL');
        },
      });
      const [pid, host, mark, sleeps, links, id, cwd] = (exec?.stdout ?? '').trim().split('\n');
      expect(Number(pid)).toBeGreaterThan(1);
      expect([host, mark, sleeps, links]).toEqual(['koker-exec', 'inside', '1', '1']);
      expect(id).toBe('uid=1234(koker) gid=1234(koker) groups=10(wheel),29(audio),1234(koker)');
      expect(cwd).toBe('/tmp');
      expect(exec?.status).toEqual({ code: 0 });
      expect(exec?.logs.map((l) => l.msg)).toContain('Call syscall setns CLONE_NEWNS');
    } finally {
      rmdirSync(cgroup);
    }
  });
});

async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
