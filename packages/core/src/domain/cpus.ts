import { InvalidValueError } from '../errors/index.js';
import { type Brand } from './brand.js';

/** CPU capacity in billionths of a CPU, as Docker's `NanoCPUs`: `--cpus 1.5` is 1.5e9. */
export type NanoCpus = Brand<number, 'NanoCpus'>;

/**
 * Parses `--cpus`: a non-negative decimal with at most 9 fractional digits. 0 means no limit,
 * as in Docker.
 */
export function parseCpus(input: string): NanoCpus {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(input.trim());
  if (!match)
    throw new InvalidValueError(
      'CPU count',
      input,
      'expected a non-negative decimal number such as 0.5 or 2',
    );
  const [, whole = '0', fraction = ''] = match;
  if (fraction.length > 9)
    throw new InvalidValueError('CPU count', input, 'too precise (at most 9 decimal places)');
  const nano = Number(whole) * 1e9 + Number(fraction.padEnd(9, '0'));
  if (!Number.isSafeInteger(nano)) throw new InvalidValueError('CPU count', input, 'too large');
  return nano as NanoCpus;
}

export function nanoCpus(value: number): NanoCpus {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a nano-CPU count: ${value}`);
  return value as NanoCpus;
}

/** `1500000000` -> `1.5` */
export function formatCpus(value: NanoCpus): string {
  return String(value / 1e9);
}
