import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { sha256Digest, type Digest } from '../../domain/digest.js';

/** One entry of a layer tar, as a suite describes it. */
export type LayerEntry =
  | { readonly type: 'file'; readonly path: string; readonly content: string; readonly mode?: number }
  | { readonly type: 'dir'; readonly path: string; readonly mode?: number }
  | { readonly type: 'symlink'; readonly path: string; readonly target: string }
  | { readonly type: 'hardlink'; readonly path: string; readonly target: string };

export const LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';
export const LAYER_TAR_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

const BLOCK = 512;
const TYPEFLAG = { file: '0', hardlink: '1', symlink: '2', dir: '5' } as const;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** A ustar header block; names up to 100 bytes, or 255 split at a slash into prefix and name. */
function header(entry: LayerEntry, size: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  let name = entry.type === 'dir' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', name.length - 2);
    if (cut <= 0 || cut > 155 || Buffer.byteLength(name.slice(cut + 1)) > 100)
      throw new RangeError(`tar entry name too long for ustar: ${name}`);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
  }
  const mode =
    'mode' in entry && entry.mode !== undefined ? entry.mode : entry.type === 'dir' ? 0o755 : 0o644;
  block.write(name, 0, 100, 'utf8');
  block.write(octal(entry.type === 'symlink' ? 0o777 : mode, 8), 100, 'ascii');
  block.write(octal(0, 8), 108, 'ascii');
  block.write(octal(0, 8), 116, 'ascii');
  block.write(octal(size, 12), 124, 'ascii');
  block.write(octal(1_600_000_000, 12), 136, 'ascii');
  block.write('        ', 148, 'ascii');
  block.write(TYPEFLAG[entry.type], 156, 'ascii');
  if (entry.type === 'symlink' || entry.type === 'hardlink') block.write(entry.target, 157, 100, 'utf8');
  block.write('ustar\0', 257, 'ascii');
  block.write('00', 263, 'ascii');
  block.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return block;
}

/**
 * An uncompressed tar (ustar) of the entries, in order, ending with the two zero blocks: enough
 * for layers of files, directories, links and whiteouts (`.wh.<name>`, `.wh..wh..opq` files).
 */
export function layerTar(entries: readonly LayerEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const body = entry.type === 'file' ? Buffer.from(entry.content) : Buffer.alloc(0);
    parts.push(header(entry, body.length), body, Buffer.alloc((BLOCK - (body.length % BLOCK)) % BLOCK));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

/** A layer as a suite hands it to `applyLayer`: the stream, its media type and expected diff ID. */
export interface LayerBlob {
  readonly tar: Buffer;
  readonly diffId: Digest;
  readonly mediaType: string;
  stream(): Readable;
}

/** The layer's tar, gzip-compressed unless `compression` is `none`. */
export function layerBlob(entries: readonly LayerEntry[], compression: 'gzip' | 'none' = 'gzip'): LayerBlob {
  const tar = layerTar(entries);
  const bytes = compression === 'gzip' ? gzipSync(tar) : tar;
  return {
    tar,
    diffId: sha256Digest(createHash('sha256').update(tar).digest('hex')),
    mediaType: compression === 'gzip' ? LAYER_TAR_GZIP : LAYER_TAR,
    // Several chunks, as a registry's response arrives.
    stream: () => Readable.from(chunks(bytes, 1000)),
  };
}

function* chunks(bytes: Buffer, size: number): Generator<Buffer> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}
