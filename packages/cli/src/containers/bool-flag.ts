import { InvalidValueError } from '@koker/core';

/** A boolean flag that may take a value, as Docker's do: `--sig-proxy`, `--sig-proxy=false`. */
export function parseBool(value: string | undefined): boolean {
  if (value === undefined || value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new InvalidValueError('boolean', value, 'expected true or false');
}
