import { HostError } from '@koker/core';
import { decompress, decompressWith, findProgram } from '../apply/decompress.js';

/** What Docker's archive API takes besides gzip and zstd, by magic bytes, and Debian's package. */
const BY_PROGRAM = [
  { program: 'bzip2', magic: Buffer.from('BZh', 'latin1'), apt: 'bzip2' },
  { program: 'xz', magic: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), apt: 'xz-utils' },
] as const;

/**
 * A tar stream as given to `cp -`: plain, gzip, zstd, bzip2 or xz, recognised by its first
 * bytes as Docker does; bzip2 and xz are decompressed by Debian's programs, streamed.
 */
export async function tarChunks(source: AsyncIterable<Buffer>): Promise<AsyncIterable<Buffer>> {
  const iterator = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < 6) {
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
  const first = Buffer.concat(head);
  const by = BY_PROGRAM.find((p) => first.subarray(0, p.magic.length).equals(p.magic));
  if (!by) return (await decompress(input(), 'auto')).chunks;
  const program = findProgram(by.program);
  if (!program)
    throw new HostError(
      `the archive is ${by.program}-compressed and the ${by.program} program is not installed`,
      {
        hint: `apt-get install ${by.apt}`,
      },
    );
  return decompressWith(program, input());
}
