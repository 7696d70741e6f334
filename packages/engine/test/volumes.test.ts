import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ANONYMOUS_VOLUME_LABEL,
  newContainerId,
  type ContainerRecord,
  type ContainerSpec,
  type StateStore,
  type Volume,
  type VolumeDriver,
  type LaunchPlan,
  parseMountInfo,
} from '@koker/core';
import { recordingLogger } from '@koker/core/testing';
import { encodeLaunchPlan, encodeMountHoldPlan } from '../src/launch/native-plan.js';
import { checkBindPropagation } from '../src/volumes/bind-propagation.js';
import { matchesVolumeFilters, parseVolumeFilters } from '../src/volumes/volume-filters.js';
import { resolveMounts } from '../src/volumes/resolve-mounts.js';
import { type VolumeChange } from '../src/volumes/volume-drivers.js';
import { removeAnonymousVolumes } from '../src/volumes/volume-usage.js';
import { rootPropagation, userMountSteps } from '../src/volumes/mount-steps.js';

/** An in-memory volume driver: what the engine asks of any driver. */
function memoryDriver(dir: string): VolumeDriver & { volumes: Map<string, Volume> } {
  const volumes = new Map<string, Volume>();
  return {
    name: 'local',
    volumes,
    create: async (r) => {
      const v: Volume = {
        name: r.name,
        driver: 'local',
        mountpoint: dir,
        createdAt: new Date().toISOString(),
        labels: r.labels,
        options: r.options,
        scope: 'local',
      };
      if (!volumes.has(r.name)) volumes.set(r.name, v);
      return volumes.get(r.name)!;
    },
    get: async (name) => volumes.get(name),
    list: async () => [...volumes.values()],
    remove: async (name) => void volumes.delete(name),
    mount: async () => ({ kind: 'bind', path: dir }),
    unmount: async () => undefined,
  };
}

let temp: string;
afterEach(() => rmSync(temp, { recursive: true, force: true }));

describe('resolveMounts', () => {
  it("orders user mounts first, then --volumes-from and the image's VOLUMEs where nothing is mounted", async () => {
    temp = mkdtempSync(join(tmpdir(), 'koker-volumes-'));
    const driver = memoryDriver(temp);
    const changes: VolumeChange[] = [];
    const other = {
      spec: {
        mounts: [
          { type: 'bind', source: temp, target: '/from', readOnly: false, propagation: 'rprivate' },
          { type: 'tmpfs', target: '/tmp', readOnly: false, flags: [], data: '' },
        ],
      },
      mounts: [{ type: 'bind', source: temp, destination: '/from', readOnly: false }],
    } as unknown as ContainerRecord;
    const { mounts, records } = await resolveMounts({
      requests: [
        {
          type: 'volume',
          name: 'db',
          target: '/db',
          readOnly: true,
          noCopy: false,
          driverOptions: {},
          labels: {},
          mode: 'ro',
        },
        {
          type: 'bind',
          source: join(temp, 'made'),
          target: '/src',
          readOnly: false,
          propagation: 'rslave',
          createSource: true,
          mode: '',
        },
      ],
      volumesFrom: [{ container: 'other', mode: 'ro' }],
      imageVolumes: ['/db', '/cache/'],
      findContainer: async () => other,
      volumes: { driver: async () => driver, all: async () => [driver], onChange: (c) => changes.push(c) },
      log: recordingLogger().log,
      createdAt: '2026-01-02T03:04:05.678Z',
    });
    expect(mounts.map((m) => [m.type, m.target, m.readOnly])).toEqual([
      ['volume', '/db', true],
      ['bind', '/src', false],
      ['bind', '/from', true],
      ['volume', '/cache', false],
    ]);
    expect(statSync(join(temp, 'made')).isDirectory()).toBe(true);
    const anonymous = mounts[3]!;
    expect(anonymous.type === 'volume' && anonymous.anonymous).toBe(true);
    expect(driver.volumes.get(anonymous.type === 'volume' ? anonymous.name : '')?.labels).toHaveProperty(
      ANONYMOUS_VOLUME_LABEL,
    );
    expect(records[0]).toMatchObject({
      type: 'volume',
      name: 'db',
      source: temp,
      destination: '/db',
      mode: 'ro',
    });
    expect(rootPropagation(mounts)).toBe('rslave');
    // Both volumes made are reported (their create events), at the container's creation time.
    const at = '2026-01-02T03:04:05.678Z';
    expect(changes).toEqual([
      { action: 'create', name: 'db', driver: 'local', at },
      { action: 'create', name: anonymous.type === 'volume' ? anonymous.name : '', driver: 'local', at },
    ]);
  });

  it('reports no volume that was there already, and the anonymous ones `rm -v` removes', async () => {
    temp = mkdtempSync(join(tmpdir(), 'koker-volumes-'));
    const driver = memoryDriver(temp);
    await driver.create({ name: 'kept', labels: {}, options: {} });
    const changes: VolumeChange[] = [];
    const volumes = {
      driver: async () => driver,
      all: async () => [driver],
      onChange: (c: VolumeChange) => changes.push(c),
    };
    const volume = (name?: string) => ({
      type: 'volume' as const,
      ...(name ? { name } : {}),
      target: `/${name ?? 'anon'}`,
      readOnly: false,
      noCopy: false,
      driverOptions: {},
      labels: {},
      mode: '',
    });
    const { mounts } = await resolveMounts({
      requests: [volume('kept'), volume()],
      volumesFrom: [],
      imageVolumes: [],
      findContainer: async () => {
        throw new Error('no --volumes-from here');
      },
      volumes,
      log: recordingLogger().log,
    });
    const anonymous = mounts[1]?.type === 'volume' ? mounts[1].name : '';
    expect(changes).toEqual([{ action: 'create', name: anonymous, driver: 'local' }]);
    changes.length = 0;
    const state = { list: async () => ({ records: [], broken: [] }) } as unknown as StateStore;
    await removeAnonymousVolumes(
      { id: newContainerId(), spec: { mounts } as ContainerSpec },
      { volumes, state, log: recordingLogger().log },
    );
    expect(changes).toEqual([{ action: 'destroy', name: anonymous, driver: 'local' }]);
    expect([...driver.volumes.keys()]).toEqual(['kept']);
  });

  it('refuses a target given twice and a --mount bind source that is missing', async () => {
    temp = mkdtempSync(join(tmpdir(), 'koker-volumes-'));
    const base = {
      volumesFrom: [],
      imageVolumes: [],
      findContainer: async () => ({}) as ContainerRecord,
      volumes: { driver: async () => memoryDriver(temp), all: async () => [] },
      log: recordingLogger().log,
    };
    const tmpfs = { type: 'tmpfs', target: '/t', readOnly: false, flags: [], data: '' } as const;
    await expect(resolveMounts({ ...base, requests: [tmpfs, tmpfs] })).rejects.toThrow(
      /duplicate mount point/,
    );
    await expect(
      resolveMounts({
        ...base,
        requests: [
          {
            type: 'bind',
            source: join(temp, 'no'),
            target: '/x',
            readOnly: false,
            propagation: 'rprivate',
            createSource: false,
            mode: '',
          },
        ],
      }),
    ).rejects.toThrow(/bind source path does not exist/);
  });
});

describe('the launch plan of user mounts', () => {
  it('mounts parents first, a file bind as a file, copy-up for volumes, koker’s /etc files on top', async () => {
    temp = mkdtempSync(join(tmpdir(), 'koker-volumes-'));
    writeFileSync(join(temp, 'file'), 'x');
    const steps = await userMountSteps(
      newContainerId(),
      [
        {
          type: 'bind',
          source: join(temp, 'file'),
          target: '/data/in/file',
          readOnly: true,
          propagation: 'rprivate',
        },
        {
          type: 'volume',
          name: 'v',
          driver: 'local',
          target: '/data',
          readOnly: false,
          noCopy: false,
          anonymous: false,
        },
      ],
      {
        volumes: { driver: async () => memoryDriver(temp), all: async () => [] },
        log: recordingLogger().log,
      },
    );
    expect(steps.map((s) => [s.target, s.targetType, s.copyUp ?? false, s.flags.join(',')])).toEqual([
      ['/data', 'directory', true, 'bind,rec'],
      ['/data/in/file', 'file', false, 'bind,rec,ro'],
    ]);
    const plan = {
      rootfs: '/r',
      readOnlyRootfs: false,
      newNamespaces: [],
      joinNamespaces: [],
      cgroups: { procsFiles: [] },
      loopback: false,
      mounts: [
        { source: 'proc', target: '/proc', fstype: 'proc', flags: [] },
        { source: '/h', target: '/etc/hosts', fstype: '', flags: ['bind'], targetType: 'file' },
      ],
      userMounts: steps,
      rootPropagation: 'rslave',
      devices: [],
      symlinks: [],
      maskedPaths: [],
      readOnlyPaths: [],
      process: {
        args: ['true'],
        env: [],
        cwd: '/',
        uid: 0,
        gid: 0,
        additionalGids: [],
        terminal: false,
        stdin: false,
        capabilities: [],
        noNewPrivileges: false,
        seccomp: 'unconfined',
        rlimits: [],
      },
      init: false,
    } as unknown as LaunchPlan;
    const ops = encodeLaunchPlan(plan).join(' ');
    expect(ops).toContain('mount  /  rec,slave');
    const order = [
      '/proc',
      'usermount ' + temp + ' /data',
      `usermount ${join(temp, 'file')} /data/in/file`,
      '/etc/hosts',
    ].map((s) => ops.indexOf(s));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(ops).toContain(`usermount ${temp} /data  bind,rec   1 0`);
    expect(ops).toContain(`usermount ${join(temp, 'file')} /data/in/file  bind,rec,ro   0 1`);
  });
});

describe('volume filters', () => {
  const volume = (name: string, labels: Record<string, string> = {}): Volume => ({
    name,
    driver: 'local',
    mountpoint: '/x',
    createdAt: '',
    labels,
    options: {},
    scope: 'local',
  });
  it("Docker's keys: values of a key are alternatives, keys all apply", () => {
    const f = parseVolumeFilters(['name=web', 'name=db', 'label=tier=back', 'dangling=true']);
    expect(matchesVolumeFilters(volume('db-1', { tier: 'back' }), false, f)).toBe(true);
    expect(matchesVolumeFilters(volume('db-1', { tier: 'back' }), true, f)).toBe(false);
    expect(matchesVolumeFilters(volume('cache', { tier: 'back' }), false, f)).toBe(false);
    expect(matchesVolumeFilters(volume('web', { tier: 'front' }), false, f)).toBe(false);
    expect(
      matchesVolumeFilters(volume('web', { tier: 'x' }), false, parseVolumeFilters(['label=tier'])),
    ).toBe(true);
    expect(() => parseVolumeFilters(['until=1h'])).toThrow(/use dangling/);
    expect(() => parseVolumeFilters(['dangling=maybe'])).toThrow(/true or false/);
  });
});

describe("a record's mounts on disk", () => {
  it('keep what inspect shows (name, driver, mode, propagation) and refuse a bad type', async () => {
    const { decodeContainerRecord, encodeContainerRecord } =
      await import('../src/state/container-record-codec.js');
    const id = newContainerId();
    const record = {
      id,
      name: 'vol-test',
      image: { reference: 'busybox', id: 'sha256:x' },
      entrypoint: [],
      command: ['sh'],
      env: [],
      hostname: 'h',
      created: new Date().toISOString(),
      status: 'created',
      network: { mode: 'none', ports: [] },
      limits: {},
      autoRemove: false,
      mounts: [
        {
          type: 'volume',
          source: '/r/volumes/db/_data',
          destination: '/db',
          readOnly: true,
          name: 'db',
          driver: 'local',
          mode: 'ro',
        },
        { type: 'bind', source: '/h', destination: '/c', readOnly: false, propagation: 'rslave', mode: '' },
      ],
    } as unknown as ContainerRecord;
    expect(decodeContainerRecord(encodeContainerRecord(record), id).mounts).toEqual(record.mounts);
    const bad = encodeContainerRecord({
      ...record,
      mounts: [{ type: 'nfs', source: '', destination: '/x', readOnly: false }],
    } as unknown as ContainerRecord);
    expect(() => decodeContainerRecord(bad, id)).toThrow(/mounts\[0\]\.type/);
  });
});

describe('bind propagation reaching the host', () => {
  const mountinfo = (point: string, optional: string) =>
    parseMountInfo(
      [
        '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
        `90 22 8:1 /srv/x ${point} rw,relatime ${optional}- ext4 /dev/sda1 rw`,
      ].join('\n'),
    );
  it("Docker's rule: shared modes need a shared host mount, slave modes a shared or slave one", () => {
    const temp = mkdtempSync(join(tmpdir(), 'koker-propagation-'));
    try {
      const shared = mountinfo(temp, 'shared:7 ');
      const slave = mountinfo(temp, 'master:7 ');
      const priv = mountinfo(temp, '');
      for (const mode of ['shared', 'rshared', 'slave', 'rslave'] as const)
        expect(() => checkBindPropagation(temp, mode, shared)).not.toThrow();
      expect(() => checkBindPropagation(temp, 'rslave', slave)).not.toThrow();
      expect(() => checkBindPropagation(temp, 'rshared', slave)).toThrow(
        `path ${temp} is mounted on ${temp} but it is not a shared mount`,
      );
      expect(() => checkBindPropagation(temp, 'slave', priv)).toThrow(
        `path ${temp} is mounted on ${temp} but it is not a shared or slave mount`,
      );
      expect(() => checkBindPropagation(temp, 'rprivate', priv)).not.toThrow();
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
  });

  it('clones shared and slave binds in the host namespace before the clone; private ones not', () => {
    const plan = {
      id: 'x',
      rootfs: '/r',
      readOnlyRootfs: false,
      newNamespaces: ['mount'],
      joinNamespaces: [],
      cgroups: { procsFiles: [] },
      loopback: false,
      mounts: [],
      userMounts: [
        { source: '/shared', target: '/a', fstype: '', flags: ['bind', 'rec'], propagation: 'rshared' },
        { source: '/slave', target: '/b', fstype: '', flags: ['bind', 'rec'], propagation: 'rslave' },
        { source: '/private', target: '/c', fstype: '', flags: ['bind', 'rec'], propagation: 'private' },
      ],
      devices: [],
      symlinks: [],
      maskedPaths: [],
      readOnlyPaths: [],
      process: {
        args: ['true'],
        env: [],
        cwd: '/',
        uid: 0,
        gid: 0,
        additionalGids: [],
        terminal: false,
        stdin: false,
        capabilities: [],
        noNewPrivileges: false,
        seccomp: 'unconfined',
        rlimits: [],
      },
      init: false,
    } as unknown as LaunchPlan;
    const ops = encodeLaunchPlan(plan);
    const clone = ops.indexOf('clone');
    const trees = ops.flatMap((op, i) => (op === 'hosttree' ? [[i, ops[i + 1]]] : []));
    expect(trees.map(([, source]) => source)).toEqual(['/shared', '/slave']);
    expect(trees.every(([at]) => (at as number) < clone)).toBe(true);
  });

  it("a stopped container's mounts held: its root, its user mounts without copy-up or propagation, then hold", () => {
    const ops = encodeMountHoldPlan({
      rootfs: '/r',
      mounts: [
        {
          source: '/v',
          target: '/data',
          fstype: '',
          flags: ['bind', 'rec'],
          copyUp: true,
          propagation: 'rshared',
        },
      ],
    }).join(' ');
    expect(ops).toBe(
      'pdeathsig 9 clone mount mount  /  rec,private  rootfs /r usermount /v /data  bind,rec   0 0 hold',
    );
  });
});
