import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MASKED_PATHS,
  DEFAULT_READONLY_PATHS,
  buildExecPlan,
  buildLaunchPlan,
  encodeLaunchPlan,
  type PlanInputs,
} from '../src/index.js';
import { parseContainerId, type ProcessSpec } from '@koker/core';

const id = parseContainerId('a'.repeat(64));
const process: ProcessSpec = {
  args: ['sh'],
  env: ['PATH=/bin'],
  cwd: '/',
  uid: 0,
  gid: 0,
  additionalGids: [0],
  terminal: false,
  stdin: false,
  capabilities: ['CHOWN'],
  noNewPrivileges: false,
  rlimits: [],
};
const inputs = (more: Partial<PlanInputs> = {}): PlanInputs => ({
  id,
  rootfs: { path: '/var/lib/koker/overlay/x/merged', readOnly: false },
  hostname: 'aaaaaaaaaaaa',
  process,
  cgroups: { procsFiles: ['/sys/fs/cgroup/pids/koker/x/cgroup.procs'] },
  network: { mode: 'none' },
  files: { hostname: '/c/hostname', hosts: '/c/hosts', resolvConf: '/c/resolv.conf' },
  privileged: false,
  init: false,
  cgroupNamespace: true,
  ...more,
});

describe('the launch plan', () => {
  it('creates mount, UTS, IPC, PID, net (none) and cgroup namespaces, and brings lo up', () => {
    const plan = buildLaunchPlan(inputs());
    expect(plan.newNamespaces).toEqual(['mount', 'uts', 'ipc', 'pid', 'net', 'cgroup']);
    expect(plan.joinNamespaces).toEqual([]);
    expect(plan.loopback).toBe(true);
  });

  it("joins the network driver's namespace, or shares the host's", () => {
    const bridged = buildLaunchPlan(inputs({ network: { mode: 'bridge', netnsPath: '/run/koker/netns/x' } }));
    expect(bridged.joinNamespaces).toEqual([{ kind: 'net', path: '/run/koker/netns/x' }]);
    expect(bridged.newNamespaces).not.toContain('net');
    expect(bridged.loopback).toBe(false);
    const host = buildLaunchPlan(inputs({ network: { mode: 'host' }, cgroupNamespace: false }));
    expect(host.newNamespaces).toEqual(['mount', 'uts', 'ipc', 'pid']);
  });

  it('--uts/--pid/--ipc: the host namespace (none made) or another container to join', () => {
    const plan = buildLaunchPlan(
      inputs({
        namespaces: { uts: 'host', pid: { path: '/proc/42/ns/pid' }, ipc: 'host' },
      }),
    );
    expect(plan.newNamespaces).toEqual(['mount', 'net', 'cgroup']);
    expect(plan.joinNamespaces).toEqual([{ kind: 'pid', path: '/proc/42/ns/pid' }]);
    expect(plan.hostname).toBeUndefined();
  });

  it('--domainname is set after the hostname in its own UTS namespace, never in the host one', () => {
    const ops = encodeLaunchPlan(buildLaunchPlan(inputs({ domainname: 'example.org' })));
    const at = ops.indexOf('hostname');
    expect(ops.slice(at, at + 4)).toEqual(['hostname', 'aaaaaaaaaaaa', 'domainname', 'example.org']);
    const shared = buildLaunchPlan(inputs({ domainname: 'example.org', namespaces: { uts: 'host' } }));
    expect(shared.domainname).toBeUndefined();
    expect(encodeLaunchPlan(shared)).not.toContain('domainname');
  });

  it('--shm-size, --sysctl and --oom-score-adj reach the plan', () => {
    const plan = buildLaunchPlan(
      inputs({
        shmSize: 32 * 1024 * 1024,
        sysctls: { 'kernel.sem': '1 2 3 4', 'net.ipv4.ping_group_range': '1 1' },
        oomScoreAdj: 7,
      }),
    );
    expect(plan.mounts.find((m) => m.target === '/dev/shm')?.data).toBe('mode=1777,size=32768k');
    expect(buildLaunchPlan(inputs()).mounts.find((m) => m.target === '/dev/shm')?.data).toBe(
      'mode=1777,size=65536k',
    );
    // --sysctl over the network namespace's default.
    expect(plan.sysctls).toEqual({
      'net.ipv4.ping_group_range': '1 1',
      'net.ipv4.ip_unprivileged_port_start': '0',
      'kernel.sem': '1 2 3 4',
    });
    const ops = encodeLaunchPlan(plan);
    const pivot = ops.indexOf('pivot');
    expect(ops.slice(pivot + 1, pivot + 12)).toEqual([
      'sysctl',
      'net.ipv4.ping_group_range',
      '1 1',
      'sysctl',
      'net.ipv4.ip_unprivileged_port_start',
      '0',
      'sysctl',
      'kernel.sem',
      '1 2 3 4',
      'oomscore',
      '7',
    ]);
  });
  it("lets any group ping and any user bind ports below 1024 in the container's own network namespace, as Docker does, not on the host's", () => {
    const range = {
      'net.ipv4.ping_group_range': '0 2147483647',
      'net.ipv4.ip_unprivileged_port_start': '0',
    };
    expect(buildLaunchPlan(inputs()).sysctls).toEqual(range);
    expect(
      buildLaunchPlan(inputs({ network: { mode: 'bridge', netnsPath: '/run/koker/netns/x' } })).sysctls,
    ).toEqual(range);
    expect(buildLaunchPlan(inputs({ network: { mode: 'host' } })).sysctls).toBeUndefined();
  });

  it("mounts Docker's filesystems and binds the container's own files", () => {
    const plan = buildLaunchPlan(inputs());
    expect(plan.mounts.map((m) => m.target)).toEqual([
      '/proc',
      '/dev',
      '/dev/pts',
      '/sys',
      '/dev/mqueue',
      '/dev/shm',
      '/etc/resolv.conf',
      '/etc/hostname',
      '/etc/hosts',
    ]);
    expect(plan.mounts.find((m) => m.target === '/sys')?.flags).toContain('ro');
    expect(plan.mounts.find((m) => m.target === '/dev/pts')?.data).toContain('newinstance');
    expect(plan.mounts.find((m) => m.target === '/etc/hosts')).toMatchObject({
      source: '/c/hosts',
      targetType: 'file',
    });
    expect(plan.devices.map((d) => d.path)).toEqual([
      '/dev/null',
      '/dev/zero',
      '/dev/full',
      '/dev/tty',
      '/dev/random',
      '/dev/urandom',
    ]);
    expect(plan.maskedPaths).toEqual(DEFAULT_MASKED_PATHS);
    expect(plan.readOnlyPaths).toEqual(DEFAULT_READONLY_PATHS);
  });

  it('masks nothing and leaves /sys writable when privileged', () => {
    const plan = buildLaunchPlan(inputs({ privileged: true }));
    expect(plan.maskedPaths).toEqual([]);
    expect(plan.readOnlyPaths).toEqual([]);
    expect(plan.mounts.find((m) => m.target === '/sys')?.flags).not.toContain('ro');
  });

  it('exec joins every namespace of the container, mount last', () => {
    const plan = buildExecPlan({ id, pid: 4242, process, cgroups: { procsFiles: [] } });
    expect(plan.joinNamespaces.map((j) => j.path)).toEqual([
      '/proc/4242/ns/cgroup',
      '/proc/4242/ns/ipc',
      '/proc/4242/ns/uts',
      '/proc/4242/ns/net',
      '/proc/4242/ns/pid',
      '/proc/4242/ns/mnt',
    ]);
  });
});
