import { xattrAllowed } from '../apply/xattr-policy.js';

/**
 * Which extended attributes a copy keeps: with `cp -a` every one a layer may carry (user.*,
 * file capabilities, ACLs; never overlayfs' own), else file capabilities only, as Docker's
 * archives always carry `security.capability`.
 */
export type XattrPolicy = 'archive' | 'capabilities';

export function keepsXattr(policy: XattrPolicy, name: string): boolean {
  return policy === 'archive' ? xattrAllowed(name) : name === 'security.capability';
}
