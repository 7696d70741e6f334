import { describe, expect, it } from 'vitest';
import {
  CommandNotExecutableError,
  CommandNotFoundError,
  ConflictError,
  DriverUnavailableError,
  HostError,
  InvalidValueError,
  NotFoundError,
  NotImplementedError,
  PermissionError,
  RegistryError,
  StateError,
  UsageError,
  exitCodeOf,
  exitCodeOfStatus,
} from '../src/index.js';

describe('errors map to Docker exit codes', () => {
  it.each([
    [new UsageError('x'), 125],
    [new InvalidValueError('size', 'x', 'bad'), 125],
    [new NotFoundError('x'), 125],
    [new ConflictError('x'), 125],
    [new PermissionError('x'), 125],
    [new NotImplementedError('x'), 125],
    [new DriverUnavailableError('x'), 125],
    [new HostError('x'), 125],
    [new RegistryError('x'), 125],
    [new StateError('x'), 125],
    [new CommandNotExecutableError('x'), 126],
    [new CommandNotFoundError('x'), 127],
    [new Error('unexpected'), 125],
    ['a string', 125],
  ])('%s -> %d', (error, code) => {
    expect(exitCodeOf(error)).toBe(code);
  });

  it('keeps a stable code and the hint', () => {
    const error = new NotImplementedError('koker stats');
    expect(error.code).toBe('NOT_IMPLEMENTED');
    expect(error.name).toBe('NotImplementedError');
    expect(error.hint).toMatch(/issues/);
  });

  it('reports a process status like a shell', () => {
    expect(exitCodeOfStatus({ code: 3 })).toBe(3);
    expect(exitCodeOfStatus({ signal: 9 })).toBe(137);
  });
});
