import { InvalidValueError } from '@koker/core';

export type Compression = 'none' | 'gzip' | 'zstd';

/** Layer media types (OCI and Docker), with the compression each declares. */
const LAYER_MEDIA_TYPES: ReadonlyMap<string, Compression> = new Map([
  ['application/vnd.oci.image.layer.v1.tar', 'none'],
  ['application/vnd.oci.image.layer.v1.tar+gzip', 'gzip'],
  ['application/vnd.oci.image.layer.v1.tar+zstd', 'zstd'],
  ['application/vnd.oci.image.layer.nondistributable.v1.tar', 'none'],
  ['application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', 'gzip'],
  ['application/vnd.oci.image.layer.nondistributable.v1.tar+zstd', 'zstd'],
  ['application/vnd.docker.image.rootfs.diff.tar', 'none'],
  ['application/vnd.docker.image.rootfs.diff.tar.gzip', 'gzip'],
  ['application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', 'gzip'],
]);

/** The compression a layer media type declares; any other media type is not a layer. */
export function declaredCompression(mediaType: string): Compression {
  const compression = LAYER_MEDIA_TYPES.get(mediaType);
  if (compression === undefined) {
    throw new InvalidValueError(
      'layer media type',
      mediaType,
      'not a tar layer (plain, gzip or zstd; OCI or Docker media types)',
    );
  }
  return compression;
}

/** The compression the stream's first bytes show (what Docker goes by, too). */
export function sniffCompression(head: Buffer): Compression {
  if (head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 0x08) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}
