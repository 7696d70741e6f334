import { describe, expect, it } from 'vitest';
import { CommandNotExecutableError, CommandNotFoundError, HostError } from '@koker/core';
import { nativeError, parseNativeRecord } from '../src/index.js';

describe("koker-init's reports", () => {
  it('parses step records, unescaping fields, capability masks shown by name', () => {
    expect(parseNativeRecord('log\t1500\tMount target\tsource\tproc\ttarget\t/a\\tb\\\\c\\nd')).toEqual({
      kind: 'log',
      at: 1500n,
      message: 'Mount target',
      fields: { source: 'proc', target: '/a\tb\\c\nd' },
    });
    expect(parseNativeRecord('log\t1\tCall syscall capset\teffective\t21\tpermitted\t0')).toMatchObject({
      fields: { effective: 'CHOWN,KILL', permitted: 'none' },
    });
  });

  it('parses pid, started, exit and error records, each with its monotonic time', () => {
    expect(parseNativeRecord('pid\t7\t42')).toEqual({ kind: 'pid', at: 7n, pid: 42 });
    expect(parseNativeRecord('started\t123456789012345\t42')).toEqual({
      kind: 'started',
      at: 123456789012345n,
      pid: 42,
    });
    expect(parseNativeRecord('exit\t8\tcode\t3')).toEqual({ kind: 'exit', at: 8n, status: { code: 3 } });
    expect(parseNativeRecord('exit\t9\tsignal\t9')).toEqual({ kind: 'exit', at: 9n, status: { signal: 9 } });
    expect(parseNativeRecord('error\t10\tmount\tmount\tEPERM\tproc on /proc')).toEqual({
      kind: 'error',
      at: 10n,
      step: 'mount',
      syscall: 'mount',
      errno: 'EPERM',
      detail: 'proc on /proc',
    });
    expect(parseNativeRecord('what')).toEqual({ kind: 'unknown', line: 'what' });
    // A record without its time is not one koker-init writes.
    expect(parseNativeRecord('log\tMount target')).toEqual({ kind: 'unknown', line: 'log\tMount target' });
  });

  it("maps failures to Docker's exit codes: 127 not found, 126 not executable, 125 otherwise", () => {
    const error = (step: string, syscall: string, errno: string, detail: string) =>
      nativeError({ step, syscall, errno, detail });
    const notFound = error('exec', 'execvp', 'ENOENT', 'nosuch');
    expect(notFound).toBeInstanceOf(CommandNotFoundError);
    expect(notFound.exitCode).toBe(127);
    expect(notFound.message).toBe('exec: "nosuch": executable file not found in $PATH');
    expect(error('exec', 'execve', 'ENOENT', '/x').message).toBe('exec: "/x": no such file or directory');
    const denied = error('exec', 'execve', 'EACCES', '/etc');
    expect(denied).toBeInstanceOf(CommandNotExecutableError);
    expect(denied.exitCode).toBe(126);
    expect(error('exec', 'execve', 'ENOEXEC', '/x').message).toBe('exec: "/x": exec format error');
    const mount = error('mount', 'mount', 'EPERM', 'proc on /proc');
    expect(mount).toBeInstanceOf(HostError);
    expect(mount.exitCode).toBe(125);
    expect(mount.message).toBe('mount: mount (proc on /proc) failed: EPERM');
  });
});
