import { describe, expect, it } from 'vitest';
import { DEFAULT_ROOT, InvalidValueError } from '@koker/core';
import { cgroupParentSetting, defaultCgroupParentName, resolveCgroupParent } from '../src/index.js';

const mount = { mountPoint: '/sys/fs/cgroup/memory', root: '/' };

describe('the containers’ parent cgroup', () => {
  it('is "koker" for the default root and koker-<hash> for any other', () => {
    expect(defaultCgroupParentName(DEFAULT_ROOT)).toBe('koker');
    const other = defaultCgroupParentName('/tmp/koker-test-1');
    expect(other).toMatch(/^koker-[0-9a-f]{8}$/);
    expect(defaultCgroupParentName('/tmp/koker-test-1')).toBe(other);
    expect(defaultCgroupParentName('/tmp/koker-test-2')).not.toBe(other);
    expect(cgroupParentSetting({ root: '/x', cgroupParent: 'mine' })).toBe('mine');
  });

  it("goes next to koker's own cgroup", () => {
    expect(resolveCgroupParent(mount, 'koker', '/process_api/6204e025')).toEqual({
      cgroupPath: '/process_api/koker',
      directory: '/sys/fs/cgroup/memory/process_api/koker',
    });
    expect(resolveCgroupParent(mount, 'koker', '/')).toEqual({
      cgroupPath: '/koker',
      directory: '/sys/fs/cgroup/memory/koker',
    });
    expect(resolveCgroupParent(mount, 'koker', undefined).cgroupPath).toBe('/koker');
  });

  it('takes an absolute path as is', () => {
    expect(resolveCgroupParent(mount, '/machine/koker', '/process_api/x')).toEqual({
      cgroupPath: '/machine/koker',
      directory: '/sys/fs/cgroup/memory/machine/koker',
    });
  });

  it('maps paths under a mount that shows a subtree', () => {
    const sub = { mountPoint: '/sys/fs/cgroup', root: '/docker/abc' };
    expect(resolveCgroupParent(sub, 'koker', '/docker/abc/init')).toEqual({
      cgroupPath: '/docker/abc/koker',
      directory: '/sys/fs/cgroup/koker',
    });
    // koker's own cgroup is the mount's root: its sibling is not visible, so the root is used.
    expect(resolveCgroupParent(sub, 'koker', '/docker/abc').directory).toBe('/sys/fs/cgroup/koker');
    expect(() => resolveCgroupParent(sub, '/elsewhere', '/docker/abc')).toThrow(
      'is outside the part of the hierarchy mounted at /sys/fs/cgroup',
    );
  });

  it.each(['../escape', 'a/../../b', '', 'with space', '/', 'a//b'])('rejects %j', (setting) => {
    expect(() => resolveCgroupParent(mount, setting, '/')).toThrow(InvalidValueError);
  });
});
