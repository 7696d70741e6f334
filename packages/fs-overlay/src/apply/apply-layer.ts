import { createHash } from 'node:crypto';
import { closeSync, constants, mkdirSync, openSync, rmSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { type Readable, addAbortSignal } from 'node:stream';
import {
  ConflictError,
  InvalidValueError,
  KokerError,
  isNoSpace,
  noSpaceOr,
  sha256Digest,
  type AppliedLayer,
  type ApplyOptions,
  type LayerLimits,
  type Logger,
} from '@koker/core';
import { spentBuffers } from '@koker/host';
import { TarFormatError } from '../tar/tar-entry.js';
import { TarParser } from '../tar/tar-parser.js';
import { decompress, type ZstdDecoder } from './decompress.js';
import { declaredCompression } from './layer-media-type.js';
import { LayerWriter } from './layer-writer.js';

export const DEFAULT_LAYER_LIMITS: LayerLimits = {
  maxBytes: 64 * 1024 ** 3,
  maxEntries: 4_000_000,
};

export interface ApplierSettings {
  readonly log: Logger;
  readonly limits?: Partial<LayerLimits>;
  readonly zstd?: ZstdDecoder;
  /** Apply owners from the tar; default: when running as root. */
  readonly preserveOwners?: boolean;
}

/**
 * Streams one (compressed) layer into a new directory: sniffs and undoes the compression,
 * hashes the uncompressed tar into its diffID, and writes entries as they arrive, with no
 * temporary tarball. On any failure the partial directory is removed.
 */
export async function applyLayer(
  stream: Readable,
  options: ApplyOptions,
  settings: ApplierSettings,
): Promise<AppliedLayer> {
  const { log } = settings;
  const limits = { ...DEFAULT_LAYER_LIMITS, ...settings.limits, ...options.limits };
  const declared = declaredCompression(options.mediaType);
  const target = options.target;
  mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  try {
    mkdirSync(target, { mode: 0o755 });
  } catch (error) {
    stream.destroy();
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ConflictError(`layer directory ${target} exists already`, {
        hint: 'a layer is applied into a new directory only; remove the stale one first',
      });
    }
    throw error;
  }
  const layer = basename(target);
  log.debug({ target, mediaType: options.mediaType }, 'Apply layer');
  const rootFd = openSync(target, constants.O_RDONLY | constants.O_DIRECTORY);
  const writer = new LayerWriter({
    rootFd,
    log,
    layer,
    maxEntries: limits.maxEntries,
    preserveOwners: settings.preserveOwners ?? process.geteuid?.() === 0,
  });
  const parser = new TarParser(writer);
  const hash = createHash('sha256');
  let total = 0;
  try {
    if (options.signal) addAbortSignal(options.signal, stream);
    const { compression, chunks } = await decompress(stream, settings.zstd ?? 'auto');
    if (compression !== declared) {
      log.debug({ target, declared, compression }, 'Layer compression differs from its media type');
    }
    for await (const chunk of chunks) {
      total += chunk.length;
      if (total > limits.maxBytes) {
        throw new InvalidValueError(
          'layer',
          layer,
          `it is larger than ${limits.maxBytes} bytes uncompressed (the limit)`,
          {
            hint: 'a decompression bomb, or raise the limit if the image is genuine',
          },
        );
      }
      hash.update(chunk);
      if (!parser.ended) parser.write(chunk);
      options.onProgress?.(total);
      spentBuffers(chunk.length);
    }
    parser.end();
    writer.finish();
    const diffId = sha256Digest(hash.digest('hex'));
    log.debug(
      { layer: diffId, target, compression, entries: writer.entryCount, bytes: writer.bytesWritten },
      'Applied layer',
    );
    writer.close();
    closeSync(rootFd);
    return { diffId, size: writer.bytesWritten };
  } catch (error) {
    stream.destroy();
    writer.close();
    closeSync(rootFd);
    log.debug({ target, err: error }, 'Remove partial layer');
    rmSync(target, { recursive: true, force: true });
    // A full disk is not a bad layer: say so, and where.
    throw isNoSpace(error)
      ? noSpaceOr(error, target, `unpacking layer ${layer}`)
      : asLayerError(error, layer);
  }
}

function asLayerError(error: unknown, layer: string): unknown {
  if (error instanceof KokerError) return error;
  if (error instanceof Error && error.name === 'AbortError') return error;
  if (error instanceof TarFormatError) {
    return new InvalidValueError(
      'layer',
      layer,
      error.entryName ? `${error.message} (entry "${error.entryName}")` : error.message,
    );
  }
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return new InvalidValueError('layer', layer, `gzip data is corrupt: ${(error as Error).message}`);
  }
  if (error instanceof Error && /zstd/i.test(error.message)) {
    return new InvalidValueError('layer', layer, `zstd data is corrupt: ${error.message}`);
  }
  return error;
}
