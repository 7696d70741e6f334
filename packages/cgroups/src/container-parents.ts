import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { posix } from 'node:path';
import { type ContainerId, InvalidValueError } from '@koker/core';
import { checkCgroupParentSetting, resolveCgroupParent, type CgroupParent } from './cgroup-parent.js';
import { type CgroupSite } from './cgroup-site.js';

/** Where one container's cgroups are, when `--cgroup-parent` put them elsewhere than koker's parent. */
export interface ContainerParents {
  /** The parent per site, by the site's mount point. */
  readonly parents: Readonly<Record<string, CgroupParent>>;
  /** Parent directories koker made for it (outermost first): removed again once empty. */
  readonly made: readonly string[];
}

/**
 * `--cgroup-parent` for one site, Docker's way: an absolute path from the hierarchy's root, a
 * relative one next to the cgroup of the koker that creates the container (runc's rule on
 * cgroup2, and on v1 the budget the host gave koker). No `..`, nothing outside the mounted part
 * of the hierarchy.
 */
export function containerParentIn(site: CgroupSite, setting: string): CgroupParent {
  if (!site.mount)
    throw new InvalidValueError('--cgroup-parent', setting, 'this driver cannot place cgroups');
  try {
    checkCgroupParentSetting(setting);
    return resolveCgroupParent(site.mount, setting, site.self);
  } catch (error) {
    throw new InvalidValueError('--cgroup-parent', setting, (error as Error).message.replace(/^[^:]*: /, ''));
  }
}

const CONTAINER_FILE = /^[0-9a-f]{64}$/;

/**
 * The parents of containers placed with `--cgroup-parent`, one small JSON file per container
 * under the run root: every later koker process (the monitor's cleanup, `stats`, `rm`) finds the
 * container's cgroups there, whatever cgroup that process itself runs in.
 */
export class ContainerParentIndex {
  constructor(private readonly dir: string) {}

  get(id: ContainerId): ContainerParents | undefined {
    try {
      return JSON.parse(readFileSync(posix.join(this.dir, id), 'utf8')) as ContainerParents;
    } catch {
      return undefined;
    }
  }

  set(id: ContainerId, parents: ContainerParents): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = posix.join(this.dir, id);
    writeFileSync(`${file}.tmp`, JSON.stringify(parents));
    renameSync(`${file}.tmp`, file);
  }

  remove(id: ContainerId): void {
    rmSync(posix.join(this.dir, id), { force: true });
  }

  ids(): ContainerId[] {
    try {
      return readdirSync(this.dir).filter((name) => CONTAINER_FILE.test(name)) as ContainerId[];
    } catch {
      return [];
    }
  }
}
