import { KokerError } from './koker-error.js';

/** Bad command-line usage: unknown flag, missing argument, conflicting options. */
export class UsageError extends KokerError {
  readonly code = 'USAGE';
}

/** A user or registry value that does not parse: a reference, a size, a digest, a name. */
export class InvalidValueError extends KokerError {
  readonly code = 'INVALID_VALUE';
  constructor(
    readonly what: string,
    readonly input: string,
    readonly reason: string,
    options: { hint?: string } = {},
  ) {
    super(`invalid ${what} ${JSON.stringify(input)}: ${reason}`, options);
  }
}

/** An image, container, tag or file that does not exist. */
export class NotFoundError extends KokerError {
  readonly code = 'NOT_FOUND';
}

/** A name already taken, an image in use, a prefix matching several containers. */
export class ConflictError extends KokerError {
  readonly code = 'CONFLICT';
}

/** The operation needs privileges the caller does not have. */
export class PermissionError extends KokerError {
  readonly code = 'PERMISSION';
}

/** A command or option that koker does not implement yet: it fails instead of pretending. */
export class NotImplementedError extends KokerError {
  readonly code = 'NOT_IMPLEMENTED';
  constructor(what: string) {
    super(`${what} is not implemented yet`, { hint: 'see the issues of the koker project for its status' });
  }
}

/** No usable driver for a contract, or a forced driver whose probe failed. */
export class DriverUnavailableError extends KokerError {
  readonly code = 'DRIVER_UNAVAILABLE';
}

/** A host facility failed: a system call, a file under /sys or /proc, an external program. */
export class HostError extends KokerError {
  readonly code = 'HOST';
}

/** A registry refused, failed, or sent something that does not verify. */
export class RegistryError extends KokerError {
  readonly code = 'REGISTRY';
}

/** On-disk state that is missing, locked too long, or corrupt. */
export class StateError extends KokerError {
  readonly code = 'STATE';
}

/** The container's command exists but cannot be executed (Docker: 126). */
export class CommandNotExecutableError extends KokerError {
  readonly code = 'COMMAND_NOT_EXECUTABLE';
  override readonly exitCode = 126;
}

/** The container's command was not found in the container (Docker: 127). */
export class CommandNotFoundError extends KokerError {
  readonly code = 'COMMAND_NOT_FOUND';
  override readonly exitCode = 127;
}
