import { InvalidValueError, type Volume } from '@koker/core';

/** `volume ls|prune --filter`: Docker's keys; values of one key are alternatives, keys combine. */
export interface VolumeFilters {
  readonly dangling?: boolean;
  readonly name: readonly string[];
  readonly driver: readonly string[];
  /** `KEY` (present) or `KEY=VALUE`. */
  readonly label: readonly { key: string; value?: string }[];
}

const KEYS = ['dangling', 'name', 'driver', 'label'] as const;

export function parseVolumeFilters(
  values: readonly string[],
  allowed: readonly string[] = KEYS,
): VolumeFilters {
  let dangling: boolean | undefined;
  const name: string[] = [];
  const driver: string[] = [];
  const label: { key: string; value?: string }[] = [];
  for (const value of values) {
    const at = value.indexOf('=');
    const key = at < 0 ? value : value.slice(0, at);
    const arg = at < 0 ? '' : value.slice(at + 1);
    if (!allowed.includes(key) || at < 0)
      throw new InvalidValueError('filter', value, `use ${allowed.map((k) => `${k}=...`).join(', ')}`);
    if (key === 'dangling') {
      if (!['true', 'false', '1', '0'].includes(arg))
        throw new InvalidValueError('filter', value, 'dangling takes true or false');
      dangling = arg === 'true' || arg === '1';
    } else if (key === 'name') name.push(arg);
    else if (key === 'driver') driver.push(arg);
    else {
      const eq = arg.indexOf('=');
      label.push(eq < 0 ? { key: arg } : { key: arg.slice(0, eq), value: arg.slice(eq + 1) });
    }
  }
  return { ...(dangling !== undefined ? { dangling } : {}), name, driver, label };
}

/** Whether a volume passes the filters; `inUse` says whether a container uses it. */
export function matchesVolumeFilters(volume: Volume, inUse: boolean, filters: VolumeFilters): boolean {
  if (filters.dangling !== undefined && filters.dangling === inUse) return false;
  if (filters.name.length > 0 && !filters.name.some((n) => volume.name.includes(n))) return false;
  if (filters.driver.length > 0 && !filters.driver.includes(volume.driver)) return false;
  return filters.label.every((l) =>
    l.value === undefined ? l.key in volume.labels : volume.labels[l.key] === l.value,
  );
}
