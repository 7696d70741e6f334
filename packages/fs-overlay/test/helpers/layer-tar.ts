import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pack, type Headers } from 'tar-stream';

export type Entry = Partial<Headers> & { name: string; content?: string | Buffer };

export const TAR = 'application/vnd.oci.image.layer.v1.tar';
export const TAR_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const TAR_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';

/** A tar built with tar-stream's packer, as the test describes it. */
export async function tarOf(entries: readonly Entry[]): Promise<Buffer> {
  const packer = pack();
  const chunks: Buffer[] = [];
  packer.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    packer.on('end', resolve);
    packer.on('error', reject);
  });
  for (const { content, ...header } of entries) {
    const body = content === undefined ? undefined : Buffer.from(content);
    await new Promise<void>((resolve, reject) =>
      packer.entry(
        { mtime: new Date(1_600_000_000_000), mode: header.type === 'directory' ? 0o755 : 0o644, ...header },
        body,
        (error) => (error ? reject(error) : resolve()),
      ),
    );
  }
  packer.finalize();
  await done;
  return Buffer.concat(chunks);
}

export function gzip(tar: Buffer): Buffer {
  return gzipSync(tar);
}

export function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** A stream delivering `data` in small pieces, so parsers see headers split across chunks. */
export function streamOf(data: Buffer, chunkSize = 700): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunkSize) chunks.push(data.subarray(i, i + chunkSize));
  return Readable.from(chunks, { objectMode: false });
}

/** A temp directory with "koker" in its name, removed by the returned function. */
export function tempDir(prefix = 'koker-fs-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
