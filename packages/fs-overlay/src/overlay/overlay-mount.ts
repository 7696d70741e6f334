import { mkdirSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { InvalidValueError, MountFlag, type Logger, type Syscalls } from '@koker/core';
import { FsContext, supportsLowerdirPlus } from './mount-api.js';

/** How the layers reach the kernel: one by one (`lowerdir+`), or in one legacy data string. */
export type MountMethod = 'auto' | 'lowerdir+' | 'legacy';

export interface OverlayLayout {
  /** Layer directories, topmost first: overlayfs' lowerdir order (the leftmost wins). */
  readonly lowers: readonly string[];
  readonly upper: string;
  readonly work: string;
  readonly target: string;
  readonly readOnly: boolean;
  /** No syncs of the upper layer (`volatile`): its container is removed when it ends. */
  readonly volatile?: boolean;
  /** The container's own directory: holds short links when the legacy data would not fit. */
  readonly containerDir: string;
}

/** Legacy mount data is one page, its NUL included. */
const MOUNT_DATA_MAX = 4095;

export interface OverlayMountDeps {
  readonly log: Logger;
  readonly syscalls: Syscalls;
}

/**
 * Mounts an overlay. With `lowerdir+` (new mount API, Linux 6.8) every layer is one fsconfig
 * call and any number up to the kernel's stack limit (500) fits. Otherwise the legacy data
 * string must fit one page: absolute paths when they fit, else short links `l/0`, `l/1`, ...
 * in the container's directory, given relative to it (as Docker's overlay2 does).
 */
export function mountOverlay(layout: OverlayLayout, method: MountMethod, deps: OverlayMountDeps): string {
  const useNew = method === 'lowerdir+' || (method === 'auto' && supportsLowerdirPlus());
  if (useNew) {
    mountWithLowerdirPlus(layout, deps.log);
    return 'lowerdir+';
  }
  return mountLegacy(layout, deps);
}

function mountWithLowerdirPlus(layout: OverlayLayout, log: Logger): void {
  const context = new FsContext('overlay');
  try {
    log.debug({ fstype: 'overlay', fd: context.fd }, 'Open filesystem context');
    for (const lower of layout.lowers) {
      context.setString('lowerdir+', lower);
      log.debug({ lowerdir: lower }, 'Add lower layer');
    }
    context.setString('upperdir', layout.upper);
    context.setString('workdir', layout.work);
    if (layout.volatile) context.setFlag('volatile');
    log.debug(
      { upperdir: layout.upper, workdir: layout.work, volatile: layout.volatile ?? false },
      'Set upper and work directories',
    );
    context.create();
    log.debug(
      { source: 'overlay', target: layout.target, layers: layout.lowers.length, readOnly: layout.readOnly },
      'Mount target',
    );
    context.mountAt(layout.target, layout.readOnly);
  } finally {
    context.close();
  }
}

/** Legacy mount(2) data, and the directory its relative paths are relative to (short links). */
export interface LegacyMountData {
  readonly data: string;
  readonly cwd?: string;
}

/**
 * The legacy mount data for a layout: absolute paths when they fit a page, else short links
 * `l/0`, `l/1`, ... made in the container's directory and given relative to it (as Docker's
 * overlay2 does). Throws (InvalidValueError) when a path holds ",", ":" or "\\", or when even
 * short links do not fit.
 */
export function legacyMountData(layout: OverlayLayout, log: Logger): LegacyMountData {
  for (const path of [...layout.lowers, layout.upper, layout.work]) {
    if (/[,:\\]/.test(path)) {
      throw new InvalidValueError(
        'overlay layer path',
        path,
        'contains ",", ":" or "\\", which legacy mount data cannot carry',
      );
    }
  }
  const options = layout.volatile ? ',volatile' : '';
  const data = `lowerdir=${layout.lowers.join(':')},upperdir=${layout.upper},workdir=${layout.work}${options}`;
  if (data.length <= MOUNT_DATA_MAX) return { data };
  const links = join(layout.containerDir, 'l');
  mkdirSync(links, { recursive: true, mode: 0o700 });
  layout.lowers.forEach((lower, index) => {
    symlinkSync(lower, join(links, String(index)));
    log.debug({ link: join(links, String(index)), layer: lower }, 'Link layer');
  });
  const shortData = `lowerdir=${layout.lowers.map((_, i) => `l/${i}`).join(':')},upperdir=${relative(layout.containerDir, layout.upper)},workdir=${relative(layout.containerDir, layout.work)}${options}`;
  if (shortData.length > MOUNT_DATA_MAX) {
    throw new InvalidValueError(
      'image',
      `${layout.lowers.length} layers`,
      'too many layers for one overlay mount on this kernel',
      {
        hint: 'a kernel of 6.8 or later takes them (lowerdir+); or flatten the image',
      },
    );
  }
  return { data: shortData, cwd: layout.containerDir };
}

function mountLegacy(layout: OverlayLayout, { log, syscalls }: OverlayMountDeps): string {
  const flags = layout.readOnly ? MountFlag.ro : 0;
  const { data, cwd } = legacyMountData(layout, log);
  if (cwd === undefined) {
    log.debug(
      { source: 'overlay', target: layout.target, layers: layout.lowers.length, data },
      'Mount target',
    );
    syscalls.mount('overlay', layout.target, 'overlay', flags, data);
    return 'legacy';
  }
  // The relative paths resolve against the working directory at mount(2): change it around the
  // one synchronous call only (no JavaScript runs in between).
  const previous = process.cwd();
  log.debug({ dir: cwd }, 'Change directory');
  process.chdir(cwd);
  try {
    log.debug(
      { source: 'overlay', target: layout.target, layers: layout.lowers.length, data },
      'Mount target',
    );
    syscalls.mount('overlay', layout.target, 'overlay', flags, data);
  } finally {
    process.chdir(previous);
  }
  return 'legacy-short-links';
}
