import { describe, expect, it } from 'vitest';
import { defaultSpec, features, parseSignal, passedFds } from '../src/runtime/runtime-commands.js';
import { checkContainerId, processStartTime } from '../src/runtime/runtime-store.js';
import { parseRuntimeConfig } from '@koker/engine';

describe('koker-runtime', () => {
  it('reads signals as runc does: names with or without SIG, any case, and numbers', () => {
    expect(parseSignal('KILL')).toBe(9);
    expect(parseSignal('SIGTERM')).toBe(15);
    expect(parseSignal('hup')).toBe(1);
    expect(parseSignal('9')).toBe(9);
    expect(parseSignal('34')).toBe(34);
    expect(() => parseSignal('SIGNOPE')).toThrow(/unknown signal/);
    expect(() => parseSignal('0')).toThrow(/unknown signal/);
  });

  it('passes --preserve-fds N fds, after LISTEN_FDS ones when they are its own, as runc', () => {
    expect(passedFds(undefined, {}, 10)).toEqual({ count: 0, env: [] });
    expect(passedFds('2', {}, 10)).toEqual({ count: 2, env: [] });
    expect(passedFds('1', { LISTEN_FDS: '2', LISTEN_PID: '10' }, 10)).toEqual({
      count: 3,
      env: ['LISTEN_FDS=2', 'LISTEN_PID=1'],
    });
    // Another process's activation fds are not this one's to pass.
    expect(passedFds('0', { LISTEN_FDS: '2', LISTEN_PID: '11' }, 10)).toEqual({ count: 0, env: [] });
    expect(() => passedFds('-1', {}, 10)).toThrow(/--preserve-fds/);
    expect(() => passedFds('two', {}, 10)).toThrow(/--preserve-fds/);
  });

  it("takes runc's container IDs and refuses paths", () => {
    for (const id of ['abc', 'a.b-c_d+e', 'f'.repeat(64)]) expect(checkContainerId(id)).toBe(id);
    for (const id of ['', '.', '..', 'a/b', 'a b'])
      expect(() => checkContainerId(id)).toThrow(/invalid id format/);
  });

  it('tells a live process by its start time, and none for a PID that does not exist', () => {
    expect(processStartTime(process.pid)).toMatch(/^\d+$/);
    expect(processStartTime(2 ** 22 + 1)).toBeUndefined();
  });

  it('writes a spec that it reads back', () => {
    const config = parseRuntimeConfig(JSON.stringify(defaultSpec()), '/bundle');
    expect(config.process?.args).toEqual(['sh']);
    expect(config.linux.namespaces.map((n) => n.kind)).toEqual([
      'pid',
      'net',
      'ipc',
      'uts',
      'mount',
      'cgroup',
    ]);
  });

  it('lists its features in the runtime-spec features format', () => {
    expect(features()).toMatchObject({
      ociVersionMin: '1.0.0',
      ociVersionMax: '1.2.0',
      linux: { seccomp: { enabled: true } },
    });
  });
});
