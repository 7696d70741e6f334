import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type MountEntry } from '@koker/core';
import { type HostView } from '@koker/core';
import { kernelHasLowerdirPlus, probe } from '../src/probe.js';

function mount(mountPoint: string, fsType: string): MountEntry {
  return { id: 1, parentId: 0, root: '/', mountPoint, options: [], fsType, source: fsType, superOptions: [] };
}

function host(overrides: Partial<HostView> = {}): HostView {
  return {
    kernelRelease: '6.18.44',
    mounts: [mount('/', 'ext4'), mount('/var/lib/docker', 'xfs'), mount('/tmp', 'tmpfs')],
    cgroupLayout: { mode: 'unified', unifiedControllers: [], v1: [], self: {} },
    filesystems: ['ext4', 'overlay', 'tmpfs'],
    isRoot: true,
    ...overrides,
  };
}

const config = { ...DEFAULT_CONFIG, root: '/var/lib/koker' };

describe('overlay probe', () => {
  it('is usable on ext4 as root, naming the backing filesystem and how layers are passed', () => {
    expect(probe({ host: host(), config })).toEqual({
      usable: true,
      details: { backingFilesystem: 'ext4', layers: 'lowerdir+ (new mount API, up to 500 layers)' },
    });
    const old = probe({ host: host({ kernelRelease: '5.10.0-28-amd64' }), config });
    expect(old.usable && old.details?.layers).toBe('short links in one page of mount data');
  });

  it('says why it is not usable', () => {
    expect(probe({ host: host({ filesystems: ['ext4'] }), config })).toEqual({
      usable: false,
      reason: expect.stringContaining('modprobe overlay'),
    });
    expect(probe({ host: host({ isRoot: false }), config })).toEqual({
      usable: false,
      reason: expect.stringContaining('root'),
    });
    const nested = probe({ host: host({ mounts: [mount('/', 'overlay')] }), config });
    expect(nested).toEqual({
      usable: false,
      reason: expect.stringContaining('/var/lib/koker is on overlay'),
    });
    const nfs = probe({ host: host(), config: { ...config, root: '/var/lib/docker/nfs' } });
    expect(nfs.usable).toBe(true);
    const onNfs = probe({
      host: host({ mounts: [mount('/', 'ext4'), mount('/srv', 'nfs4')] }),
      config: { ...config, root: '/srv/koker' },
    });
    expect(onNfs).toEqual({ usable: false, reason: expect.stringContaining('NFS') });
  });

  it('reads kernel versions', () => {
    expect(kernelHasLowerdirPlus('6.8.0')).toBe(true);
    expect(kernelHasLowerdirPlus('6.7.12')).toBe(false);
    expect(kernelHasLowerdirPlus('7.0')).toBe(true);
  });
});
