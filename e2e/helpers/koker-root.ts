import { readdirSync, rmSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultCgroupParentName } from '@koker/cgroups';
import { koker, type KokerOptions } from './koker.js';

/**
 * What a test's own koker root leaves on the host once it is done with it, removed whatever the
 * tests did: the containers still there (a failed test, or a koker killed while attached, whose
 * container runs on under its monitor), then the root's parent cgroup in every hierarchy, then
 * the directory. Each step runs even if one before it failed.
 */
export async function releaseKokerRoot(root: string, options: KokerOptions = {}): Promise<void> {
  try {
    const left = (await koker(['--root', root, 'ps', '-aq', '--no-trunc'], options)).stdout
      .split('\n')
      .filter(Boolean);
    if (left.length > 0) await koker(['--root', root, 'rm', '-f', ...left], options);
  } finally {
    try {
      await removeCgroupParent(defaultCgroupParentName(root));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
}

/**
 * The root's parent cgroup in every hierarchy, wherever the drivers put it (next to the cgroup
 * koker ran in): the drivers keep it, as Docker keeps /docker.
 */
export async function removeCgroupParent(name: string): Promise<void> {
  // A cgroup v1 directory whose last task just died can refuse rmdir (EBUSY) for a moment.
  for (let attempt = 0; attempt < 20; attempt++) {
    if (!removeCgroupParentOnce(name)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Returns whether some directory of that name is still there. */
function removeCgroupParentOnce(name: string): boolean {
  let left = false;
  const walk = (dir: string, depth: number) => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry);
      if (entry === name) {
        try {
          rmdirSync(path);
        } catch {
          left = true; // not empty or busy: tried again, then leaks() names it
        }
      } else if (depth > 0 && !entry.includes('.')) {
        walk(path, depth - 1);
      }
    }
  };
  walk('/sys/fs/cgroup', 3);
  return left;
}
