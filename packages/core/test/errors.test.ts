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
  isKokerError,
  KokerError,
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

describe('errors of another copy of @koker/core', () => {
  // What a driver installed with its own copy of core throws: same class names, same brand,
  // different classes.
  const brand = Symbol.for('koker.error');
  class ForeignKokerError extends Error {
    readonly [brand] = true;
    readonly exitCode: number = 125;
    constructor(
      message: string,
      readonly code: string,
      readonly hint?: string,
    ) {
      super(message);
    }
  }
  const foreign = {
    NotFoundError: class NotFoundError extends ForeignKokerError {},
    CommandNotFoundError: class CommandNotFoundError extends ForeignKokerError {
      override readonly exitCode = 127;
    },
  };

  it('are KokerErrors with their code, hint and exit code', () => {
    const error = new foreign.NotFoundError('no such thing', 'NOT_FOUND', 'create it first');
    expect(isKokerError(error)).toBe(true);
    expect(error instanceof KokerError).toBe(true);
    expect(error instanceof NotFoundError).toBe(true);
    expect(error instanceof ConflictError).toBe(false);
    expect(exitCodeOf(new foreign.CommandNotFoundError('x', 'COMMAND_NOT_FOUND'))).toBe(127);
  });

  it('an unbranded error is not one, whatever its class is named', () => {
    const plain = new (class NotFoundError extends Error {})('x');
    expect(isKokerError(plain)).toBe(false);
    expect(plain instanceof KokerError).toBe(false);
    expect(plain instanceof NotFoundError).toBe(false);
    expect(exitCodeOf(plain)).toBe(125);
  });
});
