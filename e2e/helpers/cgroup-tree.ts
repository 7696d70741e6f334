import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Removes a cgroup an engine under test made at the top of every hierarchy (podman's
 * `--cgroup-parent`), with the children it leaves there (conmon's), deepest first. The
 * engines keep these after their containers are gone, as Docker keeps /docker.
 */
export function removeCgroupTree(name: string): void {
  const roots = ['/sys/fs/cgroup', ...readdirSync('/sys/fs/cgroup').map((h) => join('/sys/fs/cgroup', h))];
  const remove = (dir: string): void => {
    for (const child of readdirSync(dir, { withFileTypes: true })) {
      if (child.isDirectory()) remove(join(dir, child.name));
    }
    rmdirSync(dir);
  };
  for (const root of roots) {
    const dir = join(root, name);
    if (existsSync(dir)) remove(dir);
  }
}
