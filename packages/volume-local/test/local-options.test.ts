import { describe, expect, it } from 'vitest';
import { InvalidValueError } from '@koker/core';
import { optionSource, parseLocalOptions } from '../src/local-options.js';

describe("the local driver's --opt", () => {
  it('takes none: the volume is its own directory', () => {
    expect(optionSource(parseLocalOptions({}))).toBeUndefined();
  });

  it('binds a host path with type=none,o=bind', () => {
    expect(optionSource(parseLocalOptions({ type: 'none', o: 'bind', device: '/srv/data' }))).toEqual({
      kind: 'bind',
      path: '/srv/data',
    });
  });

  it('mounts a tmpfs with its size, mount flags apart from the data', () => {
    expect(
      optionSource(parseLocalOptions({ type: 'tmpfs', device: 'tmpfs', o: 'size=100m,uid=1000,noexec' })),
    ).toEqual({
      kind: 'filesystem',
      fstype: 'tmpfs',
      device: 'tmpfs',
      flags: ['noexec'],
      data: 'size=100m,uid=1000',
    });
  });

  it('refuses an unknown key, a type without device and a relative bind', () => {
    expect(() => parseLocalOptions({ size: '1g' })).toThrow(InvalidValueError);
    expect(() => parseLocalOptions({ type: 'tmpfs' })).toThrow(/needs both type and device/);
    expect(() => parseLocalOptions({ type: 'none', o: 'bind', device: 'rel' })).toThrow(/absolute path/);
  });
});
