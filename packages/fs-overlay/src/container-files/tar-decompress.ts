import { PROGRAM_MAGIC_LENGTH, decompressWith, programCompressionOf, requireDecompressor } from '@koker/host';
import { decompress } from '../apply/decompress.js';

/**
 * A tar stream as given to `cp -` or to ADD: plain, gzip, zstd, bzip2 or xz, recognised by its
 * first bytes as Docker does; bzip2 and xz are decompressed by Debian's programs, streamed.
 */
export async function tarChunks(source: AsyncIterable<Buffer>): Promise<AsyncIterable<Buffer>> {
  const iterator = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < PROGRAM_MAGIC_LENGTH) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    head.push(next.value);
    length += next.value.length;
  }
  async function* input(): AsyncGenerator<Buffer> {
    yield* head;
    if (done) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  const kind = programCompressionOf(Buffer.concat(head));
  if (!kind) return (await decompress(input(), 'auto')).chunks;
  return decompressWith(requireDecompressor(kind), input());
}
