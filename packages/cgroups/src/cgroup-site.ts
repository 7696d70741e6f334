import { type CgroupParent, type HierarchyMount } from './cgroup-parent.js';

/**
 * One hierarchy a container's cgroup lives in, with koker's parent cgroup in it. A v1 site
 * carries the controllers bound to its hierarchy; the cgroup2 site carries the controllers koker
 * enables for its children (none on hybrid hosts, where cgroup2 only tracks processes).
 */
export type CgroupSite =
  | {
      readonly kind: 'v1';
      readonly mountPoint: string;
      readonly controllers: readonly string[];
      readonly parent: CgroupParent;
      /** The hierarchy as mounted, and koker's own cgroup in it: for `--cgroup-parent`. */
      readonly mount?: HierarchyMount;
      readonly self?: string | undefined;
    }
  | {
      readonly kind: 'v2';
      readonly mountPoint: string;
      /** Controllers to enable in the parent's `cgroup.subtree_control`, when the host offers them. */
      readonly enable: readonly string[];
      readonly parent: CgroupParent;
      /** The hierarchy as mounted, and koker's own cgroup in it: for `--cgroup-parent`. */
      readonly mount?: HierarchyMount;
      readonly self?: string | undefined;
    };

/** Whether a site manages `controller`: bound to its v1 hierarchy, or enabled on cgroup2. */
export function siteHas(site: CgroupSite, controller: string): boolean {
  return site.kind === 'v1' ? site.controllers.includes(controller) : site.enable.includes(controller);
}
