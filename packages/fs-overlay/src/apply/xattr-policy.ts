/**
 * Which extended attributes from a layer are applied. File capabilities, user attributes, ACLs
 * and trusted attributes are; overlayfs' own `trusted.overlay.*` never are (a layer must not
 * forge overlay metadata such as redirects), nor other security modules' labels, which belong
 * to the host's policy.
 */
export function xattrAllowed(name: string): boolean {
  if (name.startsWith('trusted.overlay.')) return false;
  return (
    name.startsWith('user.') ||
    name === 'security.capability' ||
    name.startsWith('trusted.') ||
    name === 'system.posix_acl_access' ||
    name === 'system.posix_acl_default'
  );
}
