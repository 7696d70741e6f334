import { setTimeout as sleep } from 'node:timers/promises';
import { type Logger } from '@koker/core';

const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/** The errno-like code of a network error, looking through `cause`. */
export function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Network faults worth another try: resets, refused or timed-out connections. */
export function isRetryableNetworkError(error: unknown): boolean {
  const code = networkCode(error);
  return code !== undefined && RETRYABLE_CODES.has(code);
}

/** HTTP statuses worth another try: rate limits and server-side failures. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504 || status === 500;
}

export interface RetryPolicy {
  readonly attempts: number;
  /** First delay; doubles each time, with jitter. */
  readonly baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 200 };

/** Waits before retry `attempt` (1-based): exponential backoff with jitter. */
export async function backoff(
  attempt: number,
  policy: RetryPolicy,
  log?: Logger,
  what?: string,
): Promise<void> {
  const delay = policy.baseDelayMs * 2 ** (attempt - 1) * (0.75 + Math.random() / 2);
  log?.debug({ attempt, delayMs: Math.round(delay), what }, 'Retry after network fault');
  await sleep(delay);
}
