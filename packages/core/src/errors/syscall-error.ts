import { constants } from 'node:os';
import { HostError } from './kinds.js';

const ERRNO_NAMES = new Map<number, string>(
  Object.entries(constants.errno).map(([name, value]) => [value, name]),
);

export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
}

/** A failed system call: which call, on what, and the errno's name (EBUSY, ENOENT, ...). */
export class SyscallError extends HostError {
  constructor(
    readonly syscall: string,
    readonly errno: number,
    readonly detail: string,
  ) {
    super(`${syscall}(${detail}) failed: ${errnoName(errno)}`);
  }

  get errnoName(): string {
    return errnoName(this.errno);
  }
}
