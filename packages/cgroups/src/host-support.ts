import { existsSync, readdirSync } from 'node:fs';
import { posix } from 'node:path';
import { type CgroupLayout, v1HierarchyOf } from '@koker/core';
import { type LimitController } from './limit-checks.js';

/** What `koker info` reports about limits on this host. */
export interface CgroupSupport {
  /** Per controller koker's limits use: where it was found, or undefined. */
  readonly controllers: Readonly<Record<LimitController, string | undefined>>;
  /** Whether swap can be limited; undefined when no cgroup shows it yet (cgroup2 root only). */
  readonly swapAccounting: boolean | undefined;
}

const LIMIT_CONTROLLERS: readonly LimitController[] = ['memory', 'cpu', 'cpuset', 'pids'];

/**
 * Where each controller is (a v1 mount point, or cgroup2 on unified hosts) and whether the kernel
 * accounts swap: v1 memory cgroups have `memory.memsw.*` files then; on cgroup2 a non-root cgroup
 * with the memory controller has `memory.swap.max`.
 */
export function cgroupSupport(
  layout: CgroupLayout,
  exists: (path: string) => boolean = existsSync,
  children: (path: string) => string[] = (path) => readdirSync(path),
): CgroupSupport {
  const controllers = {} as Record<LimitController, string | undefined>;
  for (const controller of LIMIT_CONTROLLERS) {
    const v1 = v1HierarchyOf(layout, controller);
    controllers[controller] = v1
      ? v1.mountPoint
      : layout.mode === 'unified' && layout.unifiedControllers.includes(controller)
        ? layout.unifiedMount
        : undefined;
  }
  let swapAccounting: boolean | undefined;
  const memory = v1HierarchyOf(layout, 'memory');
  if (memory) swapAccounting = exists(posix.join(memory.mountPoint, 'memory.memsw.limit_in_bytes'));
  else if (layout.mode === 'unified' && layout.unifiedMount && controllers.memory) {
    try {
      for (const child of children(layout.unifiedMount)) {
        if (exists(posix.join(layout.unifiedMount, child, 'memory.max'))) {
          swapAccounting = exists(posix.join(layout.unifiedMount, child, 'memory.swap.max'));
          break;
        }
      }
    } catch {
      swapAccounting = undefined;
    }
  }
  return { controllers, swapAccounting };
}
