import { InvalidValueError } from '@koker/core';

/** `--label K=V` / `--opt K=V` (a label may have no value, as in Docker). */
export function keyValues(
  flag: string,
  values: readonly string[],
  valueRequired: boolean,
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf('=');
    if (at === 0 || (at < 0 && valueRequired)) throw new InvalidValueError(flag, value, 'expected KEY=VALUE');
    result[at < 0 ? value : value.slice(0, at)] = at < 0 ? '' : value.slice(at + 1);
  }
  return result;
}
