import { createHash } from 'node:crypto';
import { parseDigest, type Digest } from '../domain/digest.js';

/**
 * The chain IDs of a layer stack (OCI image spec): the first is its diff ID, each next one is
 * sha256 of "<previous chain ID> <diff ID>". A chain ID names a layer together with everything
 * under it, so two images share a stored layer only when they share the whole stack below.
 */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const result: Digest[] = [];
  for (const diffId of diffIds) {
    const previous = result[result.length - 1];
    result.push(
      previous === undefined
        ? diffId
        : parseDigest(`sha256:${createHash('sha256').update(`${previous} ${diffId}`).digest('hex')}`),
    );
  }
  return result;
}
