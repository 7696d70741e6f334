import { describe, expect, it } from 'vitest';
import { type ContainerRecord } from '@koker/core';
import { refuseReadOnlyTarget } from '../src/copy/read-only-target.js';

const record = (readOnlyRootfs: boolean): ContainerRecord =>
  ({
    mounts: [
      { type: 'volume', source: '/v', destination: '/data', readOnly: true },
      { type: 'bind', source: '/h', destination: '/data/rw', readOnly: false },
      { type: 'tmpfs', source: '', destination: '/tmp', readOnly: false },
    ],
    spec: { readOnlyRootfs },
  }) as unknown as ContainerRecord;

describe('refuseReadOnlyTarget', () => {
  it('the deepest mount holding the path decides; outside mounts, a --read-only root', () => {
    expect(() => refuseReadOnlyTarget(record(false), '/data/x')).toThrow(
      'mounted volume is marked read-only',
    );
    expect(() => refuseReadOnlyTarget(record(false), 'data/../data')).toThrow(
      'mounted volume is marked read-only',
    );
    expect(() => refuseReadOnlyTarget(record(true), '/data/rw/x')).not.toThrow();
    expect(() => refuseReadOnlyTarget(record(true), '/tmp')).not.toThrow();
    expect(() => refuseReadOnlyTarget(record(false), '/etc')).not.toThrow();
    expect(() => refuseReadOnlyTarget(record(true), '/etc')).toThrow('container rootfs is marked read-only');
    expect(() => refuseReadOnlyTarget(record(true), '/database')).toThrow(
      'container rootfs is marked read-only',
    );
  });
});
