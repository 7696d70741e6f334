import { describe, expect, it } from 'vitest';
import { CommandNotFoundError, NotFoundError, StateError, UsageError } from '@koker/core';
import { commandName, failureExitCode } from '../src/exit-status.js';

describe("Docker's exit statuses", () => {
  it('finds the command under global options and groups', () => {
    expect(commandName(['--root', '/x', '-D', 'run', 'busybox'])).toBe('run');
    expect(commandName(['container', 'rm', 'x'])).toBe('rm');
    expect(commandName(['c', 'run', 'x'])).toBe('run');
    expect(commandName(['--version'])).toBeUndefined();
  });

  it('1 for a failed command, 125 for run and create and for usage errors, 126/127 kept', () => {
    expect(failureExitCode(['rm', 'missing'], new NotFoundError('no such container: missing'))).toBe(1);
    expect(failureExitCode(['inspect', 'missing'], new NotFoundError('no such object: missing'))).toBe(1);
    expect(failureExitCode(['image', 'rm', 'x'], new StateError('locked'))).toBe(1);
    expect(failureExitCode(['run', 'missing'], new NotFoundError('no such image'))).toBe(125);
    expect(failureExitCode(['container', 'create', 'x'], new StateError('x'))).toBe(125);
    expect(failureExitCode(['ps', '--bogus'], new UsageError('unknown option'))).toBe(125);
    expect(failureExitCode(['run', 'busybox', 'nope'], new CommandNotFoundError('nope'))).toBe(127);
    expect(failureExitCode(['exec', 'x', 'nope'], new CommandNotFoundError('nope'))).toBe(127);
    expect(failureExitCode(['ps'], new Error('unexpected'))).toBe(1);
  });
});
