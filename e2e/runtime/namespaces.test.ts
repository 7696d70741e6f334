import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { makeBusyboxRootfs } from '../helpers/busybox-rootfs.js';
import { runtime, runtimeDetached, writeBundle } from './runtime-bin.js';

// User and time namespaces of a bundle: the container's root is an unprivileged host user, a
// user namespace made elsewhere is joined by its path, and the clocks a time namespace shifts.
const id = `koker-userns-${process.pid}`;
const bundles: { remove: () => void }[] = [];
const states: string[] = [];

/** A busybox bundle the runtime's state lives in (its --root), readable by any host user. */
function bundle(): { dir: string; rootfs: string; root: string } {
  const made = makeBusyboxRootfs();
  bundles.push(made);
  // mkdtemp's 0700 would keep an unprivileged container root out of its own rootfs.
  chmodSync(made.dir, 0o755);
  const root = `${made.dir}/state`;
  states.push(root);
  return { ...made, root };
}

const MAPPING = [{ containerID: 0, hostID: 100000, size: 65536 }];

afterAll(async () => {
  for (const root of states) {
    for (const name of [`${id}-new`, `${id}-created`, `${id}-join`, `${id}-time`])
      await runtime(root, ['delete', '--force', name]);
  }
  for (const made of bundles) made.remove();
});

describe('koker-runtime user namespaces', () => {
  it('maps the container root to a host user given by linux.uidMappings', async () => {
    const b = bundle();
    spawnSync('chown', ['-R', '100000:100000', b.rootfs]);
    writeBundle(b.dir, (config) => {
      config.process.terminal = false;
      config.process.args = [
        'sh',
        '-c',
        'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; touch /tmp/made; cat /dev/null; echo x > /dev/null && echo devices-ok',
      ];
      config.root.readonly = false;
      config.linux.namespaces.push({ type: 'user' });
      config.linux.uidMappings = MAPPING;
      config.linux.gidMappings = MAPPING;
    });
    const result = await runtime(b.root, ['run', '--bundle', b.dir, `${id}-new`]);
    expect(result.stderr).toBe('');
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe('0');
    expect(lines[1]).toBe('0');
    expect(lines[2]?.trim().split(/\s+/)).toEqual(['0', '100000', '65536']);
    expect(lines[3]?.trim().split(/\s+/)).toEqual(['0', '100000', '65536']);
    expect(lines[4]).toBe('devices-ok');
    expect(result.code).toBe(0);
    // Made by the container's root: the host's user 100000.
    const made = statSync(`${b.rootfs}/tmp/made`);
    expect([made.uid, made.gid]).toEqual([100000, 100000]);
  });

  it('creates, starts and execs in a user namespace as an engine does', async () => {
    const b = bundle();
    spawnSync('chown', ['-R', '100000:100000', b.rootfs]);
    const name = `${id}-created`;
    writeBundle(b.dir, (config) => {
      config.process.terminal = false;
      config.process.args = ['sleep', '31352'];
      config.linux.namespaces.push({ type: 'user' });
      config.linux.uidMappings = MAPPING;
      config.linux.gidMappings = MAPPING;
    });
    const created = runtimeDetached(b.root, ['create', '--bundle', b.dir, name], `${b.dir}/output`);
    expect(created).toEqual({ code: 0, output: '' });
    expect(await runtime(b.root, ['start', name])).toMatchObject({ code: 0, stderr: '' });
    const exec = await runtime(b.root, ['exec', name, 'sh', '-c', 'id -u; cat /proc/self/uid_map']);
    expect(exec.stderr).toBe('');
    expect(exec.stdout.split('\n')[0]).toBe('0');
    expect(exec.stdout.split('\n')[1]?.trim().split(/\s+/)).toEqual(['0', '100000', '65536']);
    const state = JSON.parse((await runtime(b.root, ['state', name])).stdout) as { pid: number };
    // The process itself runs as the host's 100000.
    expect(readFileSync(`/proc/${state.pid}/status`, 'utf8')).toMatch(/^Uid:\s+100000\s/m);
    expect(await runtime(b.root, ['delete', '--force', name])).toMatchObject({ code: 0, stderr: '' });
  });

  it('refuses mappings the kernel would refuse, naming the field', async () => {
    const b = bundle();
    writeBundle(b.dir, (config) => {
      config.linux.namespaces.push({ type: 'user' });
      config.linux.uidMappings = [...MAPPING, { containerID: 100, hostID: 300000, size: 10 }];
      config.linux.gidMappings = MAPPING;
    });
    const result = await runtime(b.root, ['run', '--bundle', b.dir, `${id}-new`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('linux.uidMappings[1]');
    expect(result.stderr).toContain('overlaps linux.uidMappings[0]');
  });

  it('joins a user namespace by its path', async () => {
    const b = bundle();
    let holder: ChildProcess | undefined;
    try {
      holder = spawn('unshare', ['--user', '--map-root-user', 'sleep', '31353'], { stdio: 'ignore' });
      const own = readlinkSync('/proc/self/ns/user');
      const path = `/proc/${holder.pid}/ns/user`;
      for (let i = 0; i < 100 && readlinkSync(path) === own; i++) await sleep(20);
      const ns = readlinkSync(path);
      expect(ns).not.toBe(own);
      writeBundle(b.dir, (config) => {
        config.process.terminal = false;
        config.process.args = [
          'sh',
          '-c',
          'readlink /proc/self/ns/user; cat /proc/self/uid_map; echo x > /dev/null && echo devices-ok',
        ];
        config.linux.namespaces.push({ type: 'user', path });
        // Only root is mapped there: devpts cannot be given group 5.
        for (const mount of config.mounts as { destination: string; options?: string[] }[])
          if (mount.destination === '/dev/pts')
            mount.options = mount.options?.filter((o) => !o.startsWith('gid='));
      });
      const result = await runtime(b.root, ['run', '--bundle', b.dir, `${id}-join`]);
      expect(result.stderr).toBe('');
      const lines = result.stdout.trim().split('\n');
      expect(lines[0]).toBe(ns);
      expect(lines[1]?.trim().split(/\s+/)).toEqual(['0', '0', '1']);
      expect(lines[2]).toBe('devices-ok');
      expect(result.code).toBe(0);
    } finally {
      holder?.kill('SIGKILL');
    }
  });
});

describe('koker-runtime time namespaces', () => {
  it("shifts the container's boot time by linux.timeOffsets", async () => {
    const b = bundle();
    const shift = 10 * 86400;
    writeBundle(b.dir, (config) => {
      config.process.terminal = false;
      config.process.args = ['cat', '/proc/uptime'];
      config.linux.namespaces.push({ type: 'time' });
      config.linux.timeOffsets = {
        boottime: { secs: shift, nanosecs: 0 },
        monotonic: { secs: 0, nanosecs: 0 },
      };
    });
    const uptime = () => Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    const before = uptime();
    const result = await runtime(b.root, ['run', '--bundle', b.dir, `${id}-time`]);
    const after = uptime();
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const inside = Number(result.stdout.split(' ')[0]);
    expect(inside).toBeGreaterThanOrEqual(before + shift);
    expect(inside).toBeLessThanOrEqual(after + shift);
  });
});
