import { InvalidValueError, type VolumeSource } from '@koker/core';

/** The local driver's `--opt`s, as Docker's: `type` (mount(8)'s -t), `device`, `o` (its -o). */
export interface LocalOptions {
  readonly type?: string;
  readonly device?: string;
  readonly o?: string;
}

const KEYS = new Set(['type', 'device', 'o']);

// mount(8) options that are mount(2) flags rather than filesystem data.
const FLAG_OPTIONS = new Set(['ro', 'nosuid', 'nodev', 'noexec', 'noatime', 'relatime', 'strictatime']);

export function parseLocalOptions(options: Readonly<Record<string, string>>): LocalOptions {
  for (const key of Object.keys(options)) {
    if (!KEYS.has(key))
      throw new InvalidValueError('volume option', key, 'the local driver takes type, device and o');
  }
  const parsed: LocalOptions = { ...options };
  const some = parsed.type !== undefined || parsed.device !== undefined || parsed.o !== undefined;
  if (some && (parsed.type === undefined || parsed.device === undefined))
    throw new InvalidValueError(
      'volume options',
      Object.entries(options)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
      'the local driver needs both type and device (e.g. type=tmpfs,device=tmpfs or type=none,o=bind,device=/path)',
    );
  if (parsed.o !== undefined && parsed.o.split(',').includes('bind') && !parsed.device?.startsWith('/'))
    throw new InvalidValueError('volume option device', parsed.device ?? '', 'a bind needs an absolute path');
  return parsed;
}

/**
 * What a volume with options mounts: `o=bind` binds `device`, anything else is mount(2) of
 * `device` with filesystem `type` (tmpfs, ext4 on a block device, nfs...). Undefined without
 * options: the volume's own directory.
 */
export function optionSource(options: LocalOptions): VolumeSource | undefined {
  if (options.type === undefined || options.device === undefined) return undefined;
  const o = (options.o ?? '').split(',').filter(Boolean);
  if (o.includes('bind') || o.includes('rbind')) return { kind: 'bind', path: options.device };
  return {
    kind: 'filesystem',
    fstype: options.type,
    device: options.device,
    flags: o.filter((x) => FLAG_OPTIONS.has(x)),
    data: o.filter((x) => !FLAG_OPTIONS.has(x)).join(','),
  };
}
