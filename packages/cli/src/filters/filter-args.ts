import { InvalidValueError } from '@koker/core';

/**
 * Docker's `--filter key=value` flags: values of one key are alternatives (any may match), keys
 * must all match. Unknown keys are refused as the daemon refuses them.
 */
export type FilterArgs = ReadonlyMap<string, readonly string[]>;

export function parseFilters(flags: readonly string[] | undefined, known: readonly string[]): FilterArgs {
  const filters = new Map<string, string[]>();
  for (const flag of flags ?? []) {
    const equals = flag.indexOf('=');
    if (equals <= 0)
      throw new InvalidValueError('filter', flag, 'bad format of filter (expected name=value)');
    const key = flag.slice(0, equals).trim().toLowerCase();
    if (!known.includes(key))
      throw new InvalidValueError('filter', flag, `unknown filter '${key}'`, {
        hint: `filters: ${known.join(', ')}`,
      });
    filters.set(key, [...(filters.get(key) ?? []), flag.slice(equals + 1)]);
  }
  return filters;
}

/** `(key, test)`: true when the key is not filtered on, or any of its values passes `test`. */
export function anyValue(filters: FilterArgs, key: string, test: (value: string) => boolean): boolean {
  const values = filters.get(key);
  return values === undefined || values.some(test);
}

/** `label=key` or `label=key=value` against labels that may be absent. */
export function matchesLabels(
  filters: FilterArgs,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  const values = filters.get('label');
  if (!values) return true;
  // Every label filter must hold (Docker ANDs label filters).
  return values.every((value) => {
    const equals = value.indexOf('=');
    const key = equals < 0 ? value : value.slice(0, equals);
    if (!labels || !Object.hasOwn(labels, key)) return false;
    return equals < 0 || labels[key] === value.slice(equals + 1);
  });
}

/** Docker's Match: the value is a regular expression found anywhere (a bad one matches literally). */
export function regexMatch(pattern: string, text: string): boolean {
  try {
    return new RegExp(pattern).test(text);
  } catch {
    return text.includes(pattern);
  }
}

export function booleanFilter(key: string, value: string): boolean {
  const lower = value.toLowerCase();
  if (lower === 'true' || lower === '1') return true;
  if (lower === 'false' || lower === '0') return false;
  throw new InvalidValueError(
    'filter',
    `${key}=${value}`,
    `invalid value for '${key}': expected true or false`,
  );
}

/** The API's `filters` parameter as `key=value` flags. */
export function filterFlagsOf(filters: Readonly<Record<string, readonly string[]>>): string[] {
  return Object.entries(filters).flatMap(([key, values]) => values.map((value) => `${key}=${value}`));
}
