import { posix } from 'node:path';
import { ConflictError, type ContainerRecord } from '@koker/core';

/**
 * Docker's refusals of a copy into a container: into a read-only mount (`-v ...:ro`, a
 * read-only `--volumes-from`) or, outside any mount, into a `--read-only` root filesystem.
 * The deepest mount holding the path decides, as the path reads (a symlink inside the
 * container is not followed here; the write through it meets the kernel's own EROFS).
 */
export function refuseReadOnlyTarget(record: ContainerRecord, path: string): void {
  const target = posix.normalize(posix.join('/', path));
  let deepest: { destination: string; readOnly: boolean } | undefined;
  for (const mount of record.mounts ?? []) {
    const destination = posix.normalize(mount.destination);
    const holds = target === destination || target.startsWith(`${destination}/`) || destination === '/';
    if (holds && (!deepest || destination.length > deepest.destination.length)) deepest = mount;
  }
  if (deepest?.readOnly) throw new ConflictError('mounted volume is marked read-only');
  if (!deepest && record.spec?.readOnlyRootfs)
    throw new ConflictError('container rootfs is marked read-only');
}
