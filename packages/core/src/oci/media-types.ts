/** The media types of images koker reads and writes (OCI image spec and Docker's schema 2). */
export const MediaTypes = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/** What a registry may answer for a manifest request, in order of preference. */
export const ACCEPTED_MANIFEST_TYPES: readonly string[] = [
  MediaTypes.ociIndex,
  MediaTypes.dockerList,
  MediaTypes.ociManifest,
  MediaTypes.dockerManifest,
];

export type LayerCompression = 'gzip' | 'zstd' | 'none';

const LAYER_COMPRESSION: Readonly<Record<string, LayerCompression>> = {
  [MediaTypes.ociLayer]: 'none',
  [MediaTypes.ociLayerGzip]: 'gzip',
  [MediaTypes.ociLayerZstd]: 'zstd',
  [MediaTypes.ociLayerNondistributableGzip]: 'gzip',
  [MediaTypes.dockerLayerGzip]: 'gzip',
  [MediaTypes.dockerForeignLayerGzip]: 'gzip',
  // docker save writes plain tars and names no media type for them.
  'application/x-tar': 'none',
};

/** The compression a layer media type implies, or undefined for one koker cannot unpack. */
export function layerCompression(mediaType: string): LayerCompression | undefined {
  return LAYER_COMPRESSION[mediaType];
}

export function isSchema1(mediaType: string | undefined): boolean {
  return mediaType === MediaTypes.dockerSchema1 || mediaType === MediaTypes.dockerSchema1Signed;
}
