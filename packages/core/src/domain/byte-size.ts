import { InvalidValueError } from '../errors/index.js';
import { type Brand } from './brand.js';

/** A whole number of bytes, parsed from Docker's notation. */
export type ByteSize = Brand<number, 'ByteSize'>;

const UNITS: Record<string, number> = {
  '': 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};
// Docker's RAMInBytes grammar: a number, optional space, unit letter, optional "i", optional "b".
const SIZE = /^(\d+(?:\.\d+)?) ?([kmgtp]?)(i?)(b?)$/i;

/**
 * Parses a size as Docker does for memory flags: `512m`, `1g`, `1.5GiB`, `100000` (bytes).
 * Units are binary (k = 1024). `defaultUnit` applies to a bare number: the Go koker's `--mem 10`
 * means 10 MiB, so its flags pass `'m'`.
 */
export function parseByteSize(
  input: string,
  options: { defaultUnit?: 'b' | 'k' | 'm' | 'g' } = {},
): ByteSize {
  const text = input.trim();
  const match = SIZE.exec(text);
  if (!match) {
    throw new InvalidValueError(
      'size',
      input,
      'expected a number with an optional unit: b, k, m, g, t, p (e.g. 512m, 1.5GiB)',
    );
  }
  const [, number, unitLetter = '', i, b] = match;
  if (i && !unitLetter)
    throw new InvalidValueError('size', input, '"i" must follow a unit letter (KiB, MiB, ...)');
  const unit = unitLetter
    ? unitLetter.toLowerCase()
    : options.defaultUnit === undefined || options.defaultUnit === 'b' || b
      ? ''
      : options.defaultUnit;
  const bytes = Math.floor(Number(number) * (UNITS[unit] ?? 1));
  if (!Number.isSafeInteger(bytes)) throw new InvalidValueError('size', input, 'too large');
  return bytes as ByteSize;
}

/** A byte count from a computation rather than user input (e.g. a file size). */
export function bytes(value: number): ByteSize {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a byte count: ${value}`);
  return value as ByteSize;
}

/** `value` in the largest binary unit that keeps it at least 1: `10485760` -> 10, 'MiB'. */
export function inBinaryUnits(value: number): { readonly amount: number; readonly unit: string } {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let amount = value;
  let i = 0;
  while (amount >= 1024 && i < units.length - 1) {
    amount /= 1024;
    i += 1;
  }
  return { amount, unit: units[i] as string };
}

/** `10485760` -> `10 MiB`: the unit a human reads in a message. */
export function formatByteSize(value: number): string {
  const { amount: n, unit } = inBinaryUnits(value);
  const text = Number.isInteger(n) ? String(n) : n.toFixed(n < 10 ? 2 : 1).replace(/\.?0+$/, '');
  return `${text} ${unit}`;
}

/** `10485760` -> `10.5MB`: Docker's decimal style for SIZE columns. */
export function formatDecimalSize(value: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let n = value;
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i += 1;
  }
  return `${i === 0 ? n : Number(n.toPrecision(3))}${units[i]}`;
}
