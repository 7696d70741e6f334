import { type MountEntry, type ProbeContext, type ProbeResult } from '@koker/core';

/** Filesystems overlayfs cannot take an upper layer from (no whiteouts, xattrs or d_type). */
const UNSUPPORTED_BACKING: Readonly<Record<string, string>> = {
  overlay: 'it is itself overlayfs (is koker running inside a container? give --root a volume)',
  nfs: 'NFS cannot hold an overlay upper layer',
  nfs4: 'NFS cannot hold an overlay upper layer',
  cifs: 'CIFS cannot hold an overlay upper layer',
  smb3: 'SMB cannot hold an overlay upper layer',
  ecryptfs: 'eCryptfs cannot hold an overlay upper layer',
  aufs: 'aufs cannot hold an overlay upper layer',
};

/** The mount holding `path` (or where it would be created): the longest mount point above it. */
export function backingMount(mounts: readonly MountEntry[], path: string): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const mount of mounts) {
    const point = mount.mountPoint;
    const above = point === '/' || path === point || path.startsWith(`${point}/`);
    if (above && (!best || point.length >= best.mountPoint.length)) best = mount;
  }
  return best;
}

/** Linux 6.8 takes lower layers one by one (`lowerdir+`); older kernels need short links. */
export function kernelHasLowerdirPlus(release: string): boolean {
  const [major = 0, minor = 0] = release.split(/[.-]/).map(Number);
  return major > 6 || (major === 6 && minor >= 8);
}

/**
 * Whether overlayfs can hold koker's root filesystems here: the kernel must know it, koker must
 * be root, and the filesystem under koker's root must be able to hold an upper layer.
 */
export function probe({ host, config }: ProbeContext): ProbeResult {
  if (!host.filesystems.includes('overlay')) {
    return {
      usable: false,
      reason: 'the kernel does not list overlay in /proc/filesystems (load it: modprobe overlay)',
    };
  }
  if (!host.isRoot) return { usable: false, reason: 'mounting overlayfs needs root' };
  const backing = backingMount(host.mounts, config.root);
  const fsType = backing?.fsType ?? 'unknown';
  const unsupported = UNSUPPORTED_BACKING[fsType];
  if (unsupported) {
    return { usable: false, reason: `${config.root} is on ${fsType}: ${unsupported}` };
  }
  return {
    usable: true,
    details: {
      backingFilesystem: fsType,
      layers: kernelHasLowerdirPlus(host.kernelRelease)
        ? 'lowerdir+ (new mount API, up to 500 layers)'
        : 'short links in one page of mount data',
    },
  };
}
