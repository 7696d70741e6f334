import { type Rlimit } from '@koker/core';

/** The limits setrlimit(2) takes, by the names Docker's `--ulimit` and koker-init use. */
export const RLIMIT_NAMES: readonly string[] = [
  'as',
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
];

/**
 * One limit, checked as setrlimit(2) would refuse it: a name it knows, a soft limit not above
 * the hard one. `invalid` makes the error for the caller's flag or field.
 */
/** `type` if setrlimit(2) knows it. */
export function rlimitType(type: string, invalid: (reason: string) => Error): string {
  if (!RLIMIT_NAMES.includes(type)) throw invalid(`unknown limit ${type}: one of ${RLIMIT_NAMES.join(', ')}`);
  return type;
}

export function rlimit(
  type: string,
  soft: number | 'unlimited',
  hard: number | 'unlimited',
  invalid: (reason: string) => Error,
): Rlimit {
  rlimitType(type, invalid);
  if (hard !== 'unlimited' && (soft === 'unlimited' || soft > hard))
    throw invalid(`the soft limit ${String(soft)} is above the hard limit ${hard}`);
  return { type, soft, hard };
}
