import { type Descriptor } from '../contracts/image-source.js';
import { parseDigest } from '../domain/digest.js';
import { type Platform } from '../domain/platform.js';
import { ImageFormatError } from './image-format-error.js';
import { MediaTypes, isSchema1, layerCompression } from './media-types.js';

export interface PlatformDescriptor extends Descriptor {
  readonly platform?: Platform;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface ImageManifest {
  readonly kind: 'manifest';
  readonly mediaType: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
}

export interface ImageIndex {
  readonly kind: 'index';
  readonly mediaType: string;
  readonly manifests: readonly PlatformDescriptor[];
}

/** Manifests larger than this are refused before parsing (containerd uses the same bound). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

const CONFIG_TYPES = new Set<string>([MediaTypes.ociConfig, MediaTypes.dockerConfig]);
const INDEX_TYPES = new Set<string>([MediaTypes.ociIndex, MediaTypes.dockerList]);
const MANIFEST_TYPES = new Set<string>([MediaTypes.ociManifest, MediaTypes.dockerManifest]);

/** A parsed JSON object, before its fields are checked. */
export type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseJsonObject(bytes: Uint8Array, what: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new ImageFormatError(`malformed ${what}: not JSON (${(error as Error).message})`);
  }
  if (!isObject(value)) throw new ImageFormatError(`malformed ${what}: expected a JSON object`);
  return value;
}

function parsePlatform(value: unknown, what: string): Platform | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value) || typeof value.os !== 'string' || typeof value.architecture !== 'string') {
    throw new ImageFormatError(`malformed ${what}: a platform needs "os" and "architecture"`);
  }
  return {
    os: value.os,
    architecture: value.architecture,
    ...(typeof value.variant === 'string' && value.variant ? { variant: value.variant } : {}),
  };
}

export function parseDescriptor(value: unknown, what: string): PlatformDescriptor {
  if (!isObject(value)) throw new ImageFormatError(`malformed ${what}: a descriptor must be an object`);
  const { mediaType, digest, size } = value;
  if (typeof mediaType !== 'string' || mediaType === '') {
    throw new ImageFormatError(`malformed ${what}: a descriptor has no mediaType`);
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new ImageFormatError(
      `malformed ${what}: descriptor size ${JSON.stringify(size)} is not a byte count`,
    );
  }
  let parsed;
  try {
    parsed = parseDigest(String(digest));
  } catch (error) {
    throw new ImageFormatError(`malformed ${what}: ${(error as Error).message}`);
  }
  const platform = parsePlatform(value.platform, what);
  const annotations = isObject(value.annotations) ? (value.annotations as Record<string, string>) : undefined;
  return {
    mediaType,
    digest: parsed,
    size,
    ...(platform ? { platform } : {}),
    ...(annotations ? { annotations } : {}),
  };
}

/**
 * Parses a manifest or index as a registry (or an archive) served it: the media type comes from
 * the document, else from the Content-Type. Schema 1, unknown types, unknown layer types and
 * configs that are not container images are refused with the reason.
 */
export function parseManifest(
  bytes: Uint8Array,
  contentType: string | undefined,
  what: string,
): ImageManifest | ImageIndex {
  if (bytes.length > MAX_MANIFEST_BYTES) {
    throw new ImageFormatError(
      `${what} is ${bytes.length} bytes, more than the ${MAX_MANIFEST_BYTES} koker accepts`,
    );
  }
  const headerType = contentType?.split(';')[0]?.trim();
  if (isSchema1(headerType)) throw schema1Error(what);
  const json = parseJsonObject(bytes, what);
  if (json.schemaVersion === 1) throw schema1Error(what);
  if (json.schemaVersion !== 2) {
    throw new ImageFormatError(
      `malformed ${what}: schemaVersion is ${JSON.stringify(json.schemaVersion)}, not 2`,
    );
  }
  let mediaType = typeof json.mediaType === 'string' ? json.mediaType : undefined;
  if (
    mediaType === undefined &&
    headerType &&
    (INDEX_TYPES.has(headerType) || MANIFEST_TYPES.has(headerType))
  ) {
    mediaType = headerType;
  }
  // OCI allows mediaType to be absent: the shape tells.
  mediaType ??= Array.isArray(json.manifests) ? MediaTypes.ociIndex : MediaTypes.ociManifest;
  if (isSchema1(mediaType)) throw schema1Error(what);

  if (INDEX_TYPES.has(mediaType)) {
    if (!Array.isArray(json.manifests))
      throw new ImageFormatError(`malformed ${what}: an index needs "manifests"`);
    return {
      kind: 'index',
      mediaType,
      manifests: json.manifests.map((entry) => parseDescriptor(entry, what)),
    };
  }
  if (!MANIFEST_TYPES.has(mediaType)) {
    throw new ImageFormatError(`unsupported media type "${mediaType}" of ${what}`, {
      hint: 'koker pulls OCI and Docker schema 2 images (manifests and indexes)',
    });
  }
  if (!Array.isArray(json.layers)) throw new ImageFormatError(`malformed ${what}: a manifest needs "layers"`);
  const config = parseDescriptor(json.config, what);
  if (!CONFIG_TYPES.has(config.mediaType)) {
    throw new ImageFormatError(
      `unsupported media type "${config.mediaType}" of the config in ${what}: not a container image`,
    );
  }
  const layers = json.layers.map((entry) => parseDescriptor(entry, what));
  for (const layer of layers) {
    if (layerCompression(layer.mediaType) === undefined) {
      throw new ImageFormatError(`unsupported layer media type "${layer.mediaType}" in ${what}`, {
        hint: 'koker unpacks tar layers that are gzip, zstd or uncompressed',
      });
    }
  }
  return {
    kind: 'manifest',
    mediaType,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  };
}

function schema1Error(what: string): ImageFormatError {
  return new ImageFormatError(`${what} is a Docker schema 1 manifest, which koker does not support`, {
    hint: 'schema 1 was deprecated in 2017 and removed by Docker; push the image again with a current client (schema 2 or OCI)',
  });
}
