import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type CgroupMode } from '@koker/core';
import { type HostView } from '@koker/core';
import { probe } from '../src/index.js';

function hostWith(mode: CgroupMode, isRoot = true): HostView {
  return {
    kernelRelease: '6.1.0',
    mounts: [],
    filesystems: [],
    isRoot,
    cgroupLayout: { mode, unifiedControllers: [], v1: [], self: {} },
  };
}

describe('cgroup-hybrid probe', () => {
  it('is usable on a hybrid host as root', () => {
    expect(probe({ host: hostWith('hybrid'), config: DEFAULT_CONFIG })).toEqual({
      usable: true,
      details: { layout: 'hybrid' },
    });
  });

  it.each((['legacy', 'hybrid', 'unified', 'none'] as const).filter((m) => m !== 'hybrid'))(
    'says why not on a %s host',
    (mode) => {
      expect(probe({ host: hostWith(mode), config: DEFAULT_CONFIG })).toEqual({
        usable: false,
        reason: `the host's cgroup layout is ${mode}, not hybrid`,
      });
    },
  );

  it('needs root', () => {
    expect(probe({ host: hostWith('hybrid', false), config: DEFAULT_CONFIG })).toEqual({
      usable: false,
      reason: 'managing cgroups needs root',
    });
  });
});
