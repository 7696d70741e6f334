import {
  ConflictError,
  InvalidValueError,
  NotFoundError,
  NotImplementedError,
  PermissionError,
  UsageError,
  isKokerError,
} from '@koker/core';

/** A failure with the HTTP status Docker gives it; the body is Docker's `{"message": ...}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The status dockerd answers a failure of this kind with (its errdefs). */
export function statusOf(error: unknown): number {
  if (error instanceof ApiError) return error.status;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof ConflictError) return 409;
  if (error instanceof UsageError || error instanceof InvalidValueError) return 400;
  if (error instanceof PermissionError) return 403;
  if (error instanceof NotImplementedError) return 501;
  return 500;
}

/** Docker's error body: the message (with koker's hint, when it has one). */
export function errorBody(error: unknown): { message: string } {
  if (error instanceof ApiError) return { message: error.message };
  if (isKokerError(error))
    return { message: error.hint ? `${error.message} (${error.hint})` : error.message };
  return { message: error instanceof Error ? error.message : String(error) };
}
