import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBusyboxRootfs } from '../helpers/busybox-rootfs.js';
import { RUNTIME_BIN, runtime, runtimeDetached, writeBundle } from './runtime-bin.js';

// koker-runtime driven as the runtime-tools validation does, without an engine: the lifecycle of
// a bundle (create, state=created, start, state=running, kill, state=stopped, delete) and what
// runc prints and exits with on the way.
const bundle = makeBusyboxRootfs();
const root = `${bundle.dir}/state`;
const id = `koker-bundle-${process.pid}`;

async function state(name = id): Promise<Record<string, unknown>> {
  const result = await runtime(root, ['state', name]);
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

async function waitStatus(status: string): Promise<void> {
  for (let i = 0; i < 100 && (await state()).status !== status; i++) await sleep(50);
  expect((await state()).status).toBe(status);
}

beforeAll(() => {
  writeBundle(bundle.dir, (config) => {
    config.process.terminal = false;
    config.process.args = ['sh', '-c', 'echo started | tee /tmp/mark; exec sleep 31351'];
    config.root.readonly = false;
    config.hostname = 'bundle-box';
    config.annotations = { 'org.example.note': 'kept' };
    config.linux.resources.pids = { limit: 64 };
    config.linux.resources.memory = { limit: 64 * 1024 * 1024 };
  });
});

afterAll(async () => {
  await runtime(root, ['delete', '--force', id]);
  bundle.remove();
});

describe('koker-runtime with a bundle', () => {
  it('goes through create, start, kill and delete with runc state JSON at each step', async () => {
    const pidFile = `${bundle.dir}/pid`;
    const output = `${bundle.dir}/output`;
    const created = runtimeDetached(
      root,
      ['create', '--bundle', bundle.dir, '--pid-file', pidFile, id],
      output,
    );
    expect(created).toEqual({ code: 0, output: '' });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(pid).toBeGreaterThan(1);
    expect(await state()).toEqual({
      ociVersion: '1.2.0',
      id,
      status: 'created',
      pid,
      bundle: bundle.dir,
      rootfs: `${bundle.dir}/rootfs`,
      created: expect.any(String),
      owner: '',
      annotations: { 'org.example.note': 'kept' },
    });
    // Waiting before its execve: the command has not run.
    expect(existsSync(`${bundle.rootfs}/tmp/mark`)).toBe(false);
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).not.toContain('sleep');

    expect(await runtime(root, ['start', id])).toMatchObject({ code: 0, stderr: '' });
    await waitStatus('running');
    for (let i = 0; i < 100 && !existsSync(`${bundle.rootfs}/tmp/mark`); i++) await sleep(50);
    expect(readFileSync(`${bundle.rootfs}/tmp/mark`, 'utf8')).toBe('started\n');
    // The process writes to the stdout `create` was given (the caller's, kept by the container).
    expect(readFileSync(output, 'utf8')).toBe('started\n');
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toBe('sleep\x0031351\x00');
    // The limits of linux.resources, on the process's own cgroup.
    const cgroups = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    expect(cgroups).toContain(`/koker-runtime/${id}`);

    const again = await runtime(root, ['start', id]);
    expect(again).toMatchObject({ code: 1, stderr: 'cannot start an already running container\n' });
    const busy = await runtime(root, ['delete', id]);
    expect(busy).toMatchObject({
      code: 1,
      stderr: `cannot delete container ${id} that is not stopped: running\n`,
    });

    const ps = await runtime(root, ['ps', '--format', 'json', id]);
    expect(JSON.parse(ps.stdout)).toEqual([pid]);
    const exec = await runtime(root, ['exec', id, 'sh', '-c', 'hostname; cat /tmp/mark; exit 3']);
    expect(exec).toMatchObject({ code: 3, stdout: 'bundle-box\nstarted\n' });

    expect(await runtime(root, ['pause', id])).toMatchObject({ code: 0 });
    expect((await state()).status).toBe('paused');
    expect(await runtime(root, ['resume', id])).toMatchObject({ code: 0 });
    expect((await state()).status).toBe('running');

    expect(await runtime(root, ['kill', id, 'KILL'])).toMatchObject({ code: 0, stderr: '' });
    await waitStatus('stopped');
    expect((await state()).pid).toBe(0);
    const listed = await runtime(root, ['list', '--format', 'json']);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ id, status: 'stopped' })]);

    expect(await runtime(root, ['delete', id])).toMatchObject({ code: 0, stderr: '' });
    const gone = await runtime(root, ['state', id]);
    expect(gone).toMatchObject({ code: 1, stdout: '', stderr: 'container does not exist\n' });
    expect(existsSync(`/sys/fs/cgroup/pids/koker-runtime/${id}`)).toBe(false);
  });

  it("runs in the foreground: the command's output and exit status, then the container is deleted", async () => {
    const other = makeBusyboxRootfs();
    try {
      writeBundle(other.dir, (config) => {
        config.process.terminal = false;
        config.process.args = ['sh', '-c', 'echo in-run; hostname; exit 42'];
      });
      const result = await runtime(root, ['run', '--bundle', other.dir, `${id}-run`]);
      expect(result).toMatchObject({ code: 42, stdout: 'in-run\nrunc\n', stderr: '' });
      expect(await runtime(root, ['state', `${id}-run`])).toMatchObject({
        code: 1,
        stderr: 'container does not exist\n',
      });
    } finally {
      other.remove();
    }
  });

  it('runs every hook at its time and place, with the state on stdin', async () => {
    const other = makeBusyboxRootfs();
    const name = `${id}-hooks`;
    const marks = `${other.dir}/marks`;
    mkdirSync(marks);
    // startContainer and the command run as uid 1234.
    chmodSync(marks, 0o777);
    writeFileSync(`${marks}/order`, '');
    chmodSync(`${marks}/order`, 0o666);
    // Each hook appends its kind and mount namespace to one file; the host's /bin/sh runs those
    // whose path resolves in the runtime's namespace, the container's /bin/sh startContainer.
    const hook = (kind: string, dir = marks) => ({
      path: '/bin/sh',
      args: [
        'sh',
        '-c',
        `echo ${kind} $(readlink /proc/self/ns/mnt) $(id -u) >> ${dir}/order; cat > ${dir}/${kind}.json`,
      ],
      env: ['PATH=/usr/bin:/bin'],
      timeout: 10,
    });
    try {
      writeBundle(other.dir, (config) => {
        config.process.terminal = false;
        config.process.user = { uid: 1234, gid: 1234 };
        config.process.args = [
          'sh',
          '-c',
          'echo command $(readlink /proc/self/ns/mnt) $(id -u) >> /marks/order; exec sleep 31352',
        ];
        config.mounts.push({ destination: '/marks', type: 'bind', source: marks, options: ['rbind'] });
        config.annotations = { 'org.example.hooked': 'yes' };
        config.hooks = {
          prestart: [hook('prestart')],
          createRuntime: [hook('createRuntime')],
          createContainer: [hook('createContainer')],
          startContainer: [hook('startContainer', '/marks')],
          poststart: [hook('poststart')],
          poststop: [hook('poststop')],
        };
      });
      const read = (kind: string) =>
        JSON.parse(readFileSync(`${marks}/${kind}.json`, 'utf8')) as Record<string, unknown>;
      const order = () =>
        readFileSync(`${marks}/order`, 'utf8')
          .trim()
          .split('\n')
          .map((line) => line.split(' '));
      const pidFile = `${other.dir}/pid`;
      expect(
        runtimeDetached(
          root,
          ['create', '--bundle', other.dir, '--pid-file', pidFile, name],
          `${other.dir}/output`,
        ),
      ).toEqual({ code: 0, output: '' });
      const pid = Number(readFileSync(pidFile, 'utf8'));
      const host = readlinkSync('/proc/self/ns/mnt');
      const container = readlinkSync(`/proc/${pid}/ns/mnt`);
      expect(container).not.toBe(host);
      // Before pivot_root: the runtime's hooks in the host's mount namespace, then the container's.
      expect(order()).toEqual([
        ['prestart', host, '0'],
        ['createRuntime', host, '0'],
        ['createContainer', container, '0'],
      ]);
      const creating = { ociVersion: '1.2.0', id: name, status: 'creating', pid, bundle: other.dir };
      expect(read('prestart')).toEqual({ ...creating, annotations: { 'org.example.hooked': 'yes' } });
      expect(read('createRuntime')).toMatchObject(creating);
      expect(read('createContainer')).toMatchObject(creating);

      expect((await runtime(root, ['start', name])).code).toBe(0);
      for (let i = 0; i < 100 && order().length < 6; i++) await sleep(50);
      // startContainer inside, as the process's user, before the command; poststart from the host.
      const started = order().slice(3);
      expect(started.filter((l) => l[0] !== 'poststart')).toEqual([
        ['startContainer', container, '1234'],
        ['command', container, '1234'],
      ]);
      expect(started).toContainEqual(['poststart', host, '0']);
      expect(read('startContainer')).toMatchObject({ id: name, status: 'created', pid });
      expect(read('poststart')).toMatchObject({ id: name, status: 'running', pid });
      expect(existsSync(`${marks}/poststop.json`)).toBe(false);
      expect((await runtime(root, ['delete', '--force', name])).code).toBe(0);
      expect(read('poststop')).toMatchObject({ id: name, status: 'stopped', pid: 0 });
      expect(order().at(-1)).toEqual(['poststop', host, '0']);
    } finally {
      await runtime(root, ['delete', '--force', name]);
      other.remove();
    }
  });

  it('fails create when a hook fails, naming it, and leaves nothing behind', async () => {
    const other = makeBusyboxRootfs();
    const name = `${id}-badhook`;
    try {
      writeBundle(other.dir, (config) => {
        config.process.terminal = false;
        config.process.args = ['sleep', '31353'];
        config.hooks = {
          createContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'echo hook says no >&2; exit 3'] }],
        };
      });
      const result = runtimeDetached(root, ['create', '--bundle', other.dir, name], `${other.dir}/output`);
      expect(result.code).toBe(1);
      expect(result.output).toContain('hook says no');
      expect(result.output).toContain('run createContainer hook: /bin/sh: exit status 3');
      expect(existsSync(`${root}/${name}`)).toBe(false);
      expect(existsSync(`/sys/fs/cgroup/pids/koker-runtime/${name}`)).toBe(false);
    } finally {
      await runtime(root, ['delete', '--force', name]);
      other.remove();
    }
  });

  it('fails start and kills the container when a poststart hook fails, as runc', async () => {
    const other = makeBusyboxRootfs();
    const name = `${id}-badpoststart`;
    const failing = { path: '/bin/sh', args: ['sh', '-c', 'echo poststart says no >&2; exit 4'] };
    try {
      writeBundle(other.dir, (config) => {
        config.process.terminal = false;
        config.process.args = ['sleep', '31354'];
        config.hooks = { poststart: [failing] };
      });
      const created = runtimeDetached(root, ['create', '--bundle', other.dir, name], `${other.dir}/output`);
      expect(created).toEqual({ code: 0, output: '' });
      const started = await runtime(root, ['start', name]);
      expect(started.code).toBe(1);
      expect(started.stderr).toContain('poststart says no');
      expect(started.stderr).toContain('poststart hook /bin/sh failed: exit status 4');
      const status = async () =>
        (JSON.parse((await runtime(root, ['state', name])).stdout) as { status: string }).status;
      for (let i = 0; i < 100 && (await status()) !== 'stopped'; i++) await sleep(50);
      expect(await status()).toBe('stopped');
      expect(await runtime(root, ['delete', name])).toMatchObject({ code: 0, stderr: '' });

      // In the foreground too: run fails and leaves nothing.
      const run = await runtime(root, ['run', '--bundle', other.dir, name]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('poststart hook /bin/sh failed: exit status 4');
      expect(existsSync(`${root}/${name}`)).toBe(false);
    } finally {
      await runtime(root, ['delete', '--force', name]);
      other.remove();
    }
  });

  it('passes --preserve-fds file descriptors from fd 3 on', async () => {
    const other = makeBusyboxRootfs();
    const name = `${id}-fds`;
    try {
      writeFileSync(`${other.dir}/given`, 'from the caller\n');
      writeBundle(other.dir, (config) => {
        config.process.terminal = false;
        config.process.args = ['sh', '-c', 'cat <&3; cat <&4; test -e /proc/self/fd/5 || echo no-fd-5'];
      });
      const first = openSync(`${other.dir}/given`, 'r');
      const second = openSync(`${other.dir}/given`, 'r');
      try {
        const result = spawnSync(
          RUNTIME_BIN,
          ['--root', root, 'run', '--preserve-fds', '2', '--bundle', other.dir, name],
          { stdio: ['ignore', 'pipe', 'pipe', first, second], encoding: 'utf8', timeout: 60_000 },
        );
        expect(result.stderr).toBe('');
        expect(result.stdout).toBe('from the caller\nfrom the caller\nno-fd-5\n');
        expect(result.status).toBe(0);
      } finally {
        closeSync(first);
        closeSync(second);
      }
    } finally {
      await runtime(root, ['delete', '--force', name]);
      other.remove();
    }
  });

  it('shows its own cgroups read-only at /sys/fs/cgroup without a cgroup namespace', async () => {
    const other = makeBusyboxRootfs();
    const name = `${id}-cgroupfs`;
    try {
      writeBundle(other.dir, (config) => {
        config.process.terminal = false;
        config.linux.namespaces = config.linux.namespaces.filter(
          (n: { type: string }) => n.type !== 'cgroup',
        );
        config.linux.resources.pids = { limit: 77 };
        config.linux.resources.memory = { limit: 48 * 1024 * 1024 };
        config.process.args = [
          'sh',
          '-c',
          [
            'ls /sys/fs/cgroup',
            'cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/memory/memory.limit_in_bytes',
            // Its own cgroup is the root of each: its processes there, no child of the host's.
            'grep -c . /sys/fs/cgroup/pids/cgroup.procs /sys/fs/cgroup/unified/cgroup.procs',
            'test -e /sys/fs/cgroup/pids/koker-runtime || echo no-host-tree',
            'mkdir /sys/fs/cgroup/pids/x 2>/dev/null || echo read-only',
            'touch /sys/fs/cgroup/x 2>/dev/null || echo read-only',
          ].join('; '),
        ];
      });
      const result = await runtime(root, ['run', '--bundle', other.dir, name]);
      expect(result.stderr).toBe('');
      const lines = result.stdout.trim().split('\n');
      const listed = lines.slice(0, lines.indexOf('77'));
      expect(listed).toEqual(
        expect.arrayContaining(['cpu', 'cpuacct', 'memory', 'pids', 'systemd', 'unified']),
      );
      expect(lines.slice(lines.indexOf('77'))).toEqual([
        '77',
        String(48 * 1024 * 1024),
        '/sys/fs/cgroup/pids/cgroup.procs:2',
        '/sys/fs/cgroup/unified/cgroup.procs:2',
        'no-host-tree',
        'read-only',
        'read-only',
      ]);
      expect(result.code).toBe(0);
    } finally {
      await runtime(root, ['delete', '--force', name]);
      other.remove();
    }
  });

  it('refuses a field it cannot honour, naming it, and leaves nothing behind', async () => {
    const other = makeBusyboxRootfs();
    try {
      writeBundle(other.dir, (config) => {
        config.process.terminal = false;
        config.linux.namespaces.push({ type: 'user' });
      });
      const result = runtimeDetached(
        root,
        ['create', '--bundle', other.dir, `${id}-user`],
        `${other.dir}/output`,
      );
      expect(result.code).toBe(1);
      expect(result.output).toContain('"linux.uidMappings": required with a new user namespace');
      expect(existsSync(`${root}/${id}-user`)).toBe(false);
    } finally {
      other.remove();
    }
  });

  it('writes errors to --log as JSON lines with --log-format json', async () => {
    const log = `${bundle.dir}/runtime.log`;
    const result = await runtime(root, [
      '--log',
      log,
      '--log-format',
      'json',
      'kill',
      'no-such-container',
      'TERM',
    ]);
    expect(result).toMatchObject({ code: 1, stderr: 'container does not exist\n' });
    const line = JSON.parse(readFileSync(log, 'utf8').trim()) as Record<string, string>;
    expect(line).toMatchObject({ level: 'error', msg: 'container does not exist' });
  });

  it('prints its version and features', async () => {
    const version = await runtime(root, ['--version']);
    expect(version.stdout).toMatch(/^koker-runtime version \S+\nspec: 1\.2\.0\n$/);
    const features = JSON.parse((await runtime(root, ['features'])).stdout) as Record<string, unknown>;
    expect(features).toMatchObject({ ociVersionMin: '1.0.0', ociVersionMax: '1.2.0' });
    expect((features.linux as { namespaces: string[] }).namespaces).toEqual(
      expect.arrayContaining(['user', 'time', 'mount', 'network']),
    );
  });
});
