import { realpathSync } from 'node:fs';
import { ConflictError, readMountInfo, type MountEntry, type MountPropagation } from '@koker/core';

/** The mount a path lives on: the deepest mount point above it. */
function mountOf(mounts: readonly MountEntry[], path: string): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const mount of mounts) {
    const point = mount.mountPoint;
    const above = point === '/' || path === point || path.startsWith(`${point}/`);
    // The last of several at one point is the one on top.
    if (above && (!best || point.length >= best.mountPoint.length)) best = mount;
  }
  return best;
}

/**
 * Docker's rule for a bind's propagation: `shared`/`rshared` need the host's mount under the
 * source to be shared (else nothing could cross back to the host), `slave`/`rslave` need it
 * shared or a slave. Checked before the container starts, with Docker's message.
 */
export function checkBindPropagation(
  source: string,
  propagation: MountPropagation,
  mounts: readonly MountEntry[] = readMountInfo(),
): void {
  if (propagation.endsWith('private')) return;
  const real = realpathSync(source);
  const mount = mountOf(mounts, real);
  if (!mount) return;
  const fields = mount.optionalFields ?? [];
  const shared = fields.some((f) => f.startsWith('shared:'));
  const slave = fields.some((f) => f.startsWith('master:'));
  const wantsShared = propagation.endsWith('shared');
  if (wantsShared ? shared : shared || slave) return;
  throw new ConflictError(
    `path ${source} is mounted on ${mount.mountPoint} but it is not a ${wantsShared ? 'shared' : 'shared or slave'} mount`,
    {
      hint: `make it one first (mount --make-shared ${mount.mountPoint}), or bind with the default rprivate`,
    },
  );
}
