import { KokerError } from './koker-error.js';

const ENOSPC = 28;

/**
 * A write failed because the file system is full (ENOSPC). Its own kind, so that a full disk is
 * never reported as something else (a corrupt layer, a broken record).
 */
export class NoSpaceError extends KokerError {
  readonly code = 'NO_SPACE';
  constructor(
    readonly path: string,
    options: { cause?: unknown; doing?: string } = {},
  ) {
    super(`no space left on device${options.doing ? ` while ${options.doing}` : ''}: ${path}`, {
      cause: options.cause,
      hint: `free space on the file system that holds ${path} (koker system prune -a removes unused containers and images)`,
    });
  }
}

/** Whether `error`, or an error it was caused by, is ENOSPC (Node's code or a system call's errno). */
export function isNoSpace(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && typeof current === 'object' && current !== null; depth++) {
    if (current instanceof NoSpaceError) return true;
    const { code, errno } = current as { code?: unknown; errno?: unknown };
    // Node's errors carry -28, a SyscallError the kernel's 28.
    if (code === 'ENOSPC' || errno === ENOSPC || errno === -ENOSPC) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * `error` as a NoSpaceError if it is ENOSPC (naming the path Node reports, or `fallbackPath`),
 * else `error` unchanged.
 */
export function noSpaceOr(error: unknown, fallbackPath: string, doing?: string): unknown {
  if (error instanceof NoSpaceError || !isNoSpace(error)) return error;
  const path = (error as { path?: unknown }).path;
  return new NoSpaceError(typeof path === 'string' ? path : fallbackPath, {
    cause: error,
    ...(doing ? { doing } : {}),
  });
}
