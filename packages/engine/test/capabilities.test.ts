import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CAPABILITIES,
  allCapabilities,
  capabilityMask,
  capabilityNames,
  normalizeCapability,
  resolveCapabilities,
} from '../src/index.js';
import { InvalidValueError } from '@koker/core';

describe('capabilities', () => {
  it("Docker's default set is CapEff 00000000a80425fb", () => {
    expect(capabilityMask(DEFAULT_CAPABILITIES).toString(16)).toBe('a80425fb');
    expect(DEFAULT_CAPABILITIES).toHaveLength(14);
  });

  it('accepts names with or without CAP_, any case, and rejects unknown ones', () => {
    expect(normalizeCapability('cap_net_admin')).toBe('NET_ADMIN');
    expect(normalizeCapability('SYS_ADMIN')).toBe('SYS_ADMIN');
    expect(normalizeCapability('all')).toBe('ALL');
    expect(() => normalizeCapability('CAP_FLY')).toThrow(InvalidValueError);
  });

  it("follows Docker's rules for --cap-add, --cap-drop and --privileged", () => {
    expect(resolveCapabilities({})).toEqual(capabilityNames(0xa80425fbn));
    expect(resolveCapabilities({ add: ['NET_ADMIN'] })).toContain('NET_ADMIN');
    expect(resolveCapabilities({ drop: ['CHOWN', 'kill'] })).not.toContain('CHOWN');
    expect(resolveCapabilities({ drop: ['ALL'], add: ['SYS_ADMIN'] })).toEqual(['SYS_ADMIN']);
    expect(resolveCapabilities({ add: ['ALL'], drop: ['SYS_ADMIN'] })).toEqual(
      allCapabilities().filter((c) => c !== 'SYS_ADMIN'),
    );
    expect(resolveCapabilities({ privileged: true, drop: ['ALL'] })).toEqual(allCapabilities());
    expect(resolveCapabilities({ privileged: true, available: allCapabilities(37) })).toHaveLength(38);
  });

  it('never asks for a capability koker itself lacks', () => {
    const available = allCapabilities().filter((c) => c !== 'SYS_RESOURCE');
    expect(resolveCapabilities({ privileged: true, available })).not.toContain('SYS_RESOURCE');
    expect(resolveCapabilities({ add: ['ALL'], available })).toEqual(available);
    expect(() => resolveCapabilities({ add: ['SYS_RESOURCE'], available })).toThrow(
      'koker itself does not have it to give',
    );
  });

  it('turns masks into names and back', () => {
    expect(capabilityNames(capabilityMask(['KILL', 'BPF']))).toEqual(['KILL', 'BPF']);
    expect(capabilityMask([])).toBe(0n);
  });
});
