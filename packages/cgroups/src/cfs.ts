import { type NanoCpus } from '@koker/core';

/** The CFS period koker uses, as Docker does: 100 ms. */
export const CFS_PERIOD_US = 100_000;

/** `--cpus 1.5` -> 150000 µs of CPU time per 100000 µs period. */
export function cfsQuotaUs(nanoCpus: NanoCpus, periodUs = CFS_PERIOD_US): number {
  return Math.round((nanoCpus * periodUs) / 1e9);
}
