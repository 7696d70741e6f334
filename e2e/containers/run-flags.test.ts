import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KOKER_BIN } from '../helpers/koker.js';
import { firstLine, startContainerSuite, type ContainerSuite } from './helpers/container-suite.js';

// `run`'s process, namespace and kernel-parameter flags, each by what the container sees.
let suite: ContainerSuite;
beforeAll(async () => {
  suite = await startContainerSuite();
});
afterAll(async () => {
  await suite?.stop();
  expect(suite?.leaks() ?? []).toEqual([]);
});

/** `run --rm --network none IMAGE sh -c SCRIPT` with the flags: its stdout, or a throw. */
const inside = (flags: string[], script: string) =>
  suite.must(['run', '--rm', '--network', 'none', ...flags, suite.image, 'sh', '-c', script]);

interface Inspected {
  State: { Status: string; ExitCode: number };
  Config: { Labels: Record<string, string>; StopSignal: string; StopTimeout?: number };
  HostConfig: Record<string, unknown>;
}
const inspect = async (name: string) => (JSON.parse(await suite.must(['inspect', name])) as Inspected[])[0]!;

describe('run flags: what the container sees', () => {
  it('--ulimit sets the soft and hard limits', async () => {
    expect(await inside(['--ulimit', 'nofile=1024:2048'], 'ulimit -n; ulimit -Hn')).toBe('1024\n2048\n');
  });

  it('--shm-size sizes /dev/shm', async () => {
    const df = await inside(['--shm-size', '32m'], 'df -k /dev/shm | tail -1');
    expect(df.trim().split(/\s+/)[1]).toBe('32768');
  });

  it('--sysctl sets a namespaced parameter and refuses a host-wide one', async () => {
    expect(await inside(['--sysctl', 'kernel.shmmax=123456789'], 'cat /proc/sys/kernel/shmmax')).toBe(
      '123456789\n',
    );
    expect(await inside(['--sysctl', 'net.ipv4.ip_forward=1'], 'cat /proc/sys/net/ipv4/ip_forward')).toBe(
      '1\n',
    );
    const refused = await suite.koker(['run', '--rm', '--sysctl', 'vm.swappiness=10', suite.image, 'true']);
    expect(refused.code).toBe(125);
    expect(refused.stderr).toContain('--sysctl');
    const hostNet = await suite.koker([
      'run',
      '--rm',
      '--network',
      'host',
      '--sysctl',
      'net.ipv4.ip_forward=1',
      suite.image,
      'true',
    ]);
    expect(hostNet.code).toBe(125);
  });

  it('--group-add adds supplementary groups by GID and by name', async () => {
    const groups = (await inside(['--group-add', '1234', '--group-add', 'nogroup'], 'id -G'))
      .trim()
      .split(' ');
    expect(groups).toContain('1234');
    expect(groups).toContain(firstLine(await inside([], 'grep ^nogroup: /etc/group | cut -d: -f3')));
  });

  it('--oom-score-adj is the container process score', async () => {
    expect(await inside(['--oom-score-adj', '500'], 'cat /proc/self/oom_score_adj')).toBe('500\n');
    expect((await suite.koker(['run', '--rm', '--oom-score-adj', '2000', suite.image, 'true'])).code).toBe(
      125,
    );
  });

  it('--uts host keeps the host name; -h with it is refused', async () => {
    expect(await inside(['--uts', 'host'], 'hostname')).toBe(`${hostname()}\n`);
    const both = await suite.koker(['run', '--rm', '--uts', 'host', '-h', 'x', suite.image, 'true']);
    expect(both.code).toBe(125);
  });

  it('--pid host sees the host processes', async () => {
    const hostInit = readFileSync('/proc/1/comm', 'utf8');
    expect(await inside(['--pid', 'host'], 'cat /proc/1/comm')).toBe(hostInit);
    // sh stays PID 1 of its own namespace (a second command keeps it from exec'ing cat).
    expect(await inside([], 'cat /proc/1/comm; true')).toBe('sh\n');
  });

  it('--pid container:NAME and --ipc container:NAME join another container (shareable only)', async () => {
    await suite.must([
      'run',
      '-d',
      '--name',
      'ipc-owner',
      '--ipc',
      'shareable',
      suite.image,
      'sleep',
      '1000',
    ]);
    await suite.must(['run', '-d', '--name', 'ipc-private', suite.image, 'sleep', '1000']);
    try {
      const ns = (name: string, kind: string) =>
        suite.must(['exec', name, 'readlink', `/proc/self/ns/${kind}`]);
      expect(await inside(['--ipc', 'container:ipc-owner'], 'readlink /proc/self/ns/ipc')).toBe(
        await ns('ipc-owner', 'ipc'),
      );
      expect(await inside(['--pid', 'container:ipc-owner'], 'cat /proc/1/cmdline | tr "\\0" " "')).toBe(
        'sleep 1000 ',
      );
      const refused = await suite.koker([
        'run',
        '--rm',
        '--ipc',
        'container:ipc-private',
        suite.image,
        'true',
      ]);
      expect(refused.code).toBe(125);
      expect(refused.stderr).toContain('not shareable');
      expect(await inside([], 'readlink /proc/self/ns/ipc')).not.toBe(await ns('ipc-owner', 'ipc'));
    } finally {
      await suite.must(['rm', '-f', 'ipc-owner', 'ipc-private']);
    }
  });

  it('--memory-reservation is the soft limit in the container cgroup', async () => {
    const value = await inside(
      ['--memory-reservation', '64m'],
      'cat /sys/fs/cgroup/memory/memory.soft_limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.low',
    );
    expect(value).toBe(`${64 * 1024 * 1024}\n`);
    const above = await suite.koker([
      'run',
      '--rm',
      '-m',
      '32m',
      '--memory-reservation',
      '64m',
      suite.image,
      'true',
    ]);
    expect(above.code).toBe(125);
  });

  it('-a stdout attaches only the output asked for', async () => {
    const result = await suite.koker([
      'run',
      '--rm',
      '--network',
      'none',
      '-a',
      'stdout',
      suite.image,
      'sh',
      '-c',
      'echo out; echo err >&2',
    ]);
    expect(result.stdout).toBe('out\n');
    expect(result.stderr).not.toContain('err');
    expect((await suite.koker(['run', '-d', '-a', 'stdout', suite.image, 'true'])).code).toBe(125);
  });
});

describe('--sig-proxy', () => {
  /** `koker run` attached, SIGTERM to koker once the trap is set: what the container printed. */
  const runAndSignal = (flags: string[]) =>
    new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn(
        KOKER_BIN,
        [
          '--root',
          suite.root,
          'run',
          '--rm',
          '--network',
          'none',
          ...flags,
          suite.image,
          'sh',
          '-c',
          'trap "echo got TERM; exit 7" TERM; echo ready; for i in 1 2 3 4 5 6 7 8 9 10; do sleep 0.1; done; echo done',
        ],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, KOKER_CONFIG: join(suite.root, 'config.json') },
        },
      );
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        if (chunk.includes('ready')) child.kill('SIGTERM');
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout }));
    });

  it('forwards koker’s signals by default; =false keeps them from the container', async () => {
    expect(await runAndSignal([])).toEqual({ code: 7, stdout: 'ready\ngot TERM\n' });
    expect(await runAndSignal(['--sig-proxy=false'])).toEqual({ code: 0, stdout: 'ready\ndone\n' });
  });
});

describe('run flags: what koker records and does', () => {
  it('--label and --label-file show in inspect', async () => {
    const file = join(suite.root, 'labels');
    writeFileSync(file, '# comment\nteam=core\ntier=back\n');
    await suite.must([
      'run',
      '--name',
      'labelled',
      '--network',
      'none',
      '--label-file',
      file,
      '-l',
      'tier=front',
      '--label',
      'empty',
      suite.image,
      'true',
    ]);
    expect((await inspect('labelled')).Config.Labels).toEqual({ team: 'core', tier: 'front', empty: '' });
    await suite.must(['rm', 'labelled']);
  });

  it('--cidfile gets the ID, and an existing file is refused before anything is made', async () => {
    const file = join(suite.root, 'cid');
    rmSync(file, { force: true });
    const id = firstLine(await suite.must(['run', '-d', '--cidfile', file, suite.image, 'sleep', '1000']));
    expect(readFileSync(file, 'utf8')).toBe(id);
    const again = await suite.koker(['run', '-d', '--cidfile', file, suite.image, 'sleep', '1000']);
    expect(again.code).toBe(125);
    expect(again.stderr).toContain('--cidfile');
    expect(again.stdout).toBe('');
    await suite.must(['rm', '-f', id]);
    expect(existsSync(file)).toBe(true);
  });

  it('--stop-signal is what stop sends (a trap sees it); --stop-timeout shortens the wait', async () => {
    await suite.must([
      'run',
      '-d',
      '--name',
      'trapper',
      '--stop-signal',
      'USR1',
      suite.image,
      'sh',
      '-c',
      'trap "echo got USR1; exit 3" USR1; while true; do sleep 0.1; done',
    ]);
    expect((await inspect('trapper')).Config.StopSignal).toBe('SIGUSR1');
    await suite.must(['stop', 'trapper']);
    expect(await suite.must(['logs', 'trapper'])).toContain('got USR1');
    expect((await inspect('trapper')).State.ExitCode).toBe(3);
    await suite.must(['rm', 'trapper']);

    await suite.must([
      'run',
      '-d',
      '--name',
      'stubborn',
      '--stop-timeout',
      '1',
      suite.image,
      'sh',
      '-c',
      'trap "" TERM; while true; do sleep 0.1; done',
    ]);
    expect((await inspect('stubborn')).Config.StopTimeout).toBe(1);
    const started = Date.now();
    await suite.must(['stop', 'stubborn']);
    expect(Date.now() - started).toBeLessThan(6000);
    expect((await inspect('stubborn')).State.ExitCode).toBe(137);
    await suite.must(['rm', 'stubborn']);
  });

  it('--platform: the host platform runs; another is pulled from an index that lists it, else refused', async () => {
    expect(
      await suite.must([
        'run',
        '--rm',
        '--network',
        'none',
        '--platform',
        'linux/amd64',
        suite.image,
        'true',
      ]),
    ).toBe('');
    const single = await suite.koker(['run', '--rm', '--platform', 'linux/arm64', suite.image, 'true']);
    expect(single.code).toBe(125);
    expect(single.stderr).toContain('--platform');
    expect(single.stderr).toContain('has no linux/arm64 image');
    // The fixture's arm64 image is a marker layer without busybox: pulled and tried, not refused.
    const multi = await suite.koker([
      'run',
      '--rm',
      '--network',
      'none',
      '--platform',
      'linux/arm64',
      suite.registry.images.multiarch,
      'cat',
      '/etc/hostname',
    ]);
    expect(multi.stderr).not.toContain('--platform');
    expect(multi.code).toBe(127);
    await suite.must(['rmi', suite.registry.images.multiarch]);
  });

  it('bad values exit 125 and name the flag', async () => {
    for (const [flag, value] of [
      ['--ulimit', 'nofile=abc'],
      ['--ulimit', 'bogus=1'],
      ['--restart', 'sometimes'],
      ['--restart', 'always:3'],
      ['--shm-size', '0'],
      ['--stop-signal', 'NOPE'],
      ['--pid', 'vm'],
      ['--ipc', 'none'],
      ['--uts', 'private'],
      ['--platform', 'amd64'],
      ['--pull', 'sometimes'],
      ['--health-interval', '10'],
    ] as const) {
      const result = await suite.koker(['run', '--rm', flag, value, suite.image, 'true']);
      expect(result.code, `${flag} ${value}`).toBe(125);
      expect(result.stderr, `${flag} ${value}`).toContain(flag);
    }
  });
});
