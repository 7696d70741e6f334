import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { type Descriptor, digestAlgorithm, ImageFormatError } from '@koker/core';

/**
 * Passes `source` through, counting and hashing; fails instead of ending when the size or the
 * digest differs from `descriptor` (so a consumer commits nothing unverified). Lazy: nothing is
 * read (and no error can be raised) before the consumer reads. The consumer reports the chunks it
 * is done with to spentBuffers.
 */
export function verifyStream(
  source: Readable,
  descriptor: Descriptor,
  what: string,
  onBytes?: (n: number) => void,
): Readable {
  async function* verified(): AsyncGenerator<Buffer> {
    const hash = createHash(digestAlgorithm(descriptor.digest));
    let seen = 0;
    for await (const chunk of source as AsyncIterable<Buffer>) {
      seen += chunk.length;
      if (seen > descriptor.size) {
        throw new ImageFormatError(`${what} is larger than the ${descriptor.size} bytes it should be`);
      }
      hash.update(chunk);
      onBytes?.(chunk.length);
      yield chunk;
    }
    if (seen !== descriptor.size) {
      throw new ImageFormatError(`${what} is truncated: ${seen} of ${descriptor.size} bytes`);
    }
    const actual = `${digestAlgorithm(descriptor.digest)}:${hash.digest('hex')}`;
    if (actual !== descriptor.digest) {
      throw new ImageFormatError(
        `${what} does not match its digest: expected ${descriptor.digest}, got ${actual}`,
      );
    }
  }
  return Readable.from(verified(), { objectMode: false });
}
