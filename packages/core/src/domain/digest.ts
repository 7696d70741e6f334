import { InvalidValueError } from '../errors/index.js';
import { type Brand } from './brand.js';

/** A content digest as OCI defines it, e.g. `sha256:<64 lower-case hex>`. */
export type Digest = Brand<string, 'Digest'>;

const HEX_LENGTH: Record<string, number> = { sha256: 64, sha512: 128 };

/** Parses `algorithm:hex`; only the algorithms OCI registers (sha256, sha512) are accepted. */
export function parseDigest(input: string): Digest {
  const colon = input.indexOf(':');
  if (colon < 0) throw new InvalidValueError('digest', input, 'expected "sha256:<64 hex digits>"');
  const algorithm = input.slice(0, colon);
  const hex = input.slice(colon + 1);
  const length = HEX_LENGTH[algorithm];
  if (length === undefined) {
    throw new InvalidValueError('digest', input, `unsupported algorithm "${algorithm}" (sha256 or sha512)`);
  }
  if (hex.length !== length || !/^[0-9a-f]+$/.test(hex)) {
    throw new InvalidValueError('digest', input, `${algorithm} needs ${length} lower-case hex digits`);
  }
  return input as Digest;
}

export function isDigest(input: string): input is Digest {
  try {
    parseDigest(input);
    return true;
  } catch {
    return false;
  }
}

/** `sha256:abc...` -> `sha256` */
export function digestAlgorithm(digest: Digest): string {
  return digest.slice(0, digest.indexOf(':'));
}

/** `sha256:abc...` -> `abc...` */
export function digestHex(digest: Digest): string {
  return digest.slice(digest.indexOf(':') + 1);
}

/** The 12-digit short form Docker shows as IMAGE ID. */
export function shortDigest(digest: Digest): string {
  return digestHex(digest).slice(0, 12);
}

/** Builds a sha256 digest from a hex string a hash function produced. */
export function sha256Digest(hex: string): Digest {
  return parseDigest(`sha256:${hex}`);
}
