import { describe, expect, it } from 'vitest';
import { InvalidValueError, parseContainerId, type ProcessSpec } from '@koker/core';
import {
  buildExecPlan,
  buildLaunchPlan,
  capabilitySets,
  compileSeccomp,
  DEFAULT_SECCOMP_PROFILE,
  encodeProgram,
  seccompOps,
  encodeExecPlan,
  encodeLaunchPlan,
  serializeOps,
} from '../src/index.js';

const id = parseContainerId('b'.repeat(64));
const process: ProcessSpec = {
  args: ['echo', 'hi'],
  env: ['PATH=/usr/bin:/bin', 'HOME=/root'],
  cwd: '/work',
  uid: 0,
  gid: 0,
  additionalGids: [0, 10],
  terminal: false,
  stdin: false,
  capabilities: ['CHOWN', 'KILL'],
  noNewPrivileges: true,
  rlimits: [{ type: 'nofile', soft: 1024, hard: 'unlimited' }],
};
const plan = (more: Partial<ProcessSpec> = {}, init = false) =>
  buildLaunchPlan({
    id,
    rootfs: { path: '/r', readOnly: true },
    hostname: 'bbbbbbbbbbbb',
    process: { ...process, ...more },
    cgroups: { procsFiles: ['/sys/fs/cgroup/pids/k/cgroup.procs'] },
    network: { mode: 'none' },
    files: { hostname: '/c/hostname', hosts: '/c/hosts', resolvConf: '/c/resolv.conf' },
    privileged: false,
    init,
    cgroupNamespace: true,
  });

/** The ops as [name, ...args] groups, cut where the next known op name starts. */
function opNames(ops: string[]): string[] {
  const names = new Set([
    'pdeathsig',
    'tty',
    'join',
    'cgroup',
    'clone',
    'unshare',
    'mount',
    'rootfs',
    'mkdir',
    'mkfile',
    'mknod',
    'symlink',
    'pivot',
    'sysctl',
    'mask',
    'readonly',
    'hostname',
    'loopback',
    'rlimit',
    'console',
    'bounding',
    'user',
    'caps',
    'nnp',
    'cwd',
    'env',
    'exec',
  ]);
  return ops.filter(
    (op, i) =>
      names.has(op) &&
      (i === 0 || !['mount', 'mkdir', 'mkfile'].includes(ops[i - 1] ?? '') || op !== ops[i - 1]),
  );
}

describe("koker-init's encoding of a plan", () => {
  it('puts the monitor ops first, then the container steps in their order', () => {
    const ops = encodeLaunchPlan(plan());
    expect(ops.slice(0, 6)).toEqual([
      'pdeathsig',
      '9',
      'cgroup',
      '/sys/fs/cgroup/pids/k/cgroup.procs',
      'clone',
      'mount,uts,ipc,pid,net',
    ]);
    expect(ops.slice(6, 16)).toEqual([
      'unshare',
      'cgroup',
      'mount',
      '',
      '/',
      '',
      'rec,private',
      '',
      'rootfs',
      '/r',
    ]);
    const names = opNames(ops);
    const at = (name: string) => names.indexOf(name);
    expect(at('pivot')).toBeGreaterThan(names.lastIndexOf('symlink'));
    expect(at('mask')).toBeGreaterThan(at('pivot'));
    // Through the container's own /proc, before /proc/sys is made read-only.
    expect(at('sysctl')).toBeGreaterThan(at('pivot'));
    expect(at('sysctl')).toBeLessThan(at('readonly'));
    const sysctl = ops.indexOf('sysctl');
    expect(ops.slice(sysctl, sysctl + 3)).toEqual(['sysctl', 'net.ipv4.ping_group_range', '0 2147483647']);
    expect(at('hostname')).toBeGreaterThan(at('readonly'));
    expect(at('user')).toBeGreaterThan(at('bounding'));
    expect(at('caps')).toBeGreaterThan(at('user'));
    expect(ops.slice(-6)).toEqual(['exec', '0', '/usr/bin:/bin', '2', 'echo', 'hi']);
  });

  it('creates each mount target as a directory or a file, then mounts it', () => {
    const ops = encodeLaunchPlan(plan());
    const proc = ops.indexOf('/proc');
    expect(ops.slice(proc - 1, proc + 8)).toEqual([
      'mkdir',
      '/proc',
      '755',
      'mount',
      'proc',
      '/proc',
      'proc',
      'nosuid,noexec,nodev',
      '',
    ]);
    const hosts = ops.indexOf('/etc/hosts');
    expect(ops.slice(hosts - 1, hosts + 8)).toEqual([
      'mkfile',
      '/etc/hosts',
      '644',
      'mount',
      '/c/hosts',
      '/etc/hosts',
      '',
      'bind,rec',
      '',
    ]);
  });

  it('creates the working directory, then makes the root read-only', () => {
    const ops = encodeLaunchPlan(plan());
    const mkdir = ops.lastIndexOf('mkdir');
    expect(ops.slice(mkdir, mkdir + 3)).toEqual(['mkdir', '/work', '755']);
    expect(ops.slice(mkdir + 3, mkdir + 9)).toEqual(['mount', '', '/', '', 'bind,remount,ro', '']);
  });

  it('sets the identity: rlimits, cwd (as root first), bounding set, user with groups, capability sets, no_new_privs', () => {
    const ops = encodeLaunchPlan(plan({ seccomp: 'unconfined' }));
    const from = ops.indexOf('rlimit');
    expect(ops.slice(from, from + 22)).toEqual([
      'rlimit',
      'nofile',
      '1024',
      'unlimited',
      'cwd',
      '/work',
      'bounding',
      '21',
      'user',
      '0',
      '0',
      '2',
      '0',
      '10',
      'caps',
      '21',
      '21',
      '0',
      '0',
      'nnp',
      'env',
      '2',
    ]);
  });

  it('installs the seccomp filter with CAP_SYS_ADMIN still held, or last under no_new_privs', () => {
    const names = (ops: string[]) =>
      ops.filter((op) => ['bounding', 'seccomp', 'user', 'caps', 'nnp', 'exec'].includes(op));
    const filter = seccompOps(process);
    expect(filter[0]).toBe('seccomp');
    expect(filter[1]).toBe(
      encodeProgram(compileSeccomp(DEFAULT_SECCOMP_PROFILE, process.capabilities)).toString('hex'),
    );
    expect(names(encodeLaunchPlan(plan()))).toEqual(['bounding', 'user', 'caps', 'nnp', 'seccomp', 'exec']);
    expect(names(encodeLaunchPlan(plan({ noNewPrivileges: false })))).toEqual([
      'bounding',
      'seccomp',
      'user',
      'caps',
      'exec',
    ]);
    expect(names(encodeLaunchPlan(plan({ noNewPrivileges: false, seccomp: 'unconfined' })))).toEqual([
      'bounding',
      'user',
      'caps',
      'exec',
    ]);
    const exec = encodeExecPlan(
      buildExecPlan({
        id,
        pid: 42,
        process: { ...process, noNewPrivileges: false },
        cgroups: { procsFiles: [] },
      }),
    );
    expect(names(exec)).toEqual(['bounding', 'seccomp', 'user', 'caps', 'exec']);
  });

  it('gives a non-root user an empty capability set under the same bounding set', () => {
    expect(capabilitySets({ ...process, uid: 1000 })).toEqual({
      bounding: 0x21n,
      effective: 0n,
      permitted: 0n,
      inheritable: 0n,
      ambient: 0n,
    });
  });

  it('asks for a terminal, an init, or no parent-death signal when detached', () => {
    const tty = encodeLaunchPlan(plan({ terminal: true, stdin: true }));
    expect(tty.slice(0, 4)).toEqual(['pdeathsig', '9', 'tty', '1']);
    expect(tty).toContain('console');
    expect(tty.slice(tty.indexOf('/dev/console') - 1, tty.indexOf('/dev/console') + 2)).toEqual([
      'mkfile',
      '/dev/console',
      '600',
    ]);
    // A terminal whose size a file gives (an API service's exec): named after the tty op.
    const sized = encodeLaunchPlan(plan({ terminal: true, stdin: false }), {
      terminalSizeFile: '/run/x/winsize',
    });
    expect(sized.slice(0, 6)).toEqual(['pdeathsig', '9', 'tty', '0', 'winsize', '/run/x/winsize']);
    expect(encodeLaunchPlan(plan(), { terminalSizeFile: '/run/x/winsize' })).not.toContain('winsize');
    expect(encodeLaunchPlan(plan({}, true)).slice(-6, -4)).toEqual(['exec', '1']);
    expect(encodeLaunchPlan(plan(), { detached: true })[0]).toBe('cgroup');
  });

  it('encodes exec: joins, cgroups, a clone with no new namespace, the process', () => {
    const ops = encodeExecPlan(buildExecPlan({ id, pid: 7, process, cgroups: { procsFiles: ['/cg'] } }));
    expect(ops.slice(0, 24)).toEqual([
      'pdeathsig',
      '9',
      'join',
      'cgroup',
      '/proc/7/ns/cgroup',
      'join',
      'ipc',
      '/proc/7/ns/ipc',
      'join',
      'uts',
      '/proc/7/ns/uts',
      'join',
      'net',
      '/proc/7/ns/net',
      'join',
      'pid',
      '/proc/7/ns/pid',
      'join',
      'mount',
      '/proc/7/ns/mnt',
      'cgroup',
      '/cg',
      'clone',
      '',
    ]);
    expect(ops).not.toContain('pivot');
  });

  it('serialises to NUL-terminated strings and refuses a NUL inside one', () => {
    expect(serializeOps(['a', '', 'bc']).toString('latin1')).toBe('a\0\0bc\0');
    expect(() => serializeOps(['a\0b'])).toThrow(InvalidValueError);
  });
});
