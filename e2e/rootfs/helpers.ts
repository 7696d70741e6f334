import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pack, type Headers } from 'tar-stream';
import { DEFAULT_CONFIG, newContainerId, type ContainerId, type Logger } from '@koker/core';
import { KoffiSyscalls } from '@koker/host';
import { createLogger } from '@koker/log';
import { OverlayStorageDriver, type OverlayDriverDeps } from '@koker/fs-overlay';

export type Entry = Partial<Headers> & { name: string; content?: string | Buffer };

export const TAR = 'application/vnd.oci.image.layer.v1.tar';
export const TAR_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** A tar built with tar-stream's packer from the entries a test describes. */
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

export function gzipStream(tar: Buffer): Readable {
  return Readable.from([gzipSync(tar)], { objectMode: false });
}

export function plainStream(tar: Buffer): Readable {
  return Readable.from([tar], { objectMode: false });
}

/** A koker root for one test file: a temp dir with "koker" in its name. */
export function tempRoot(): { root: string; remove: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'koker-rootfs-e2e-'));
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}

export function testLogger(): Logger {
  return createLogger({ level: process.env.KOKER_TEST_DEBUG ? 'debug' : 'silent', format: 'console' });
}

export function overlayDriver(
  root: string,
  extra: Partial<Omit<OverlayDriverDeps, 'config' | 'log' | 'syscalls'>> = {},
): OverlayStorageDriver {
  return new OverlayStorageDriver({
    config: { ...DEFAULT_CONFIG, root, runRoot: join(root, 'run') },
    log: testLogger(),
    syscalls: new KoffiSyscalls(),
    ...extra,
  });
}

export function containerId(): ContainerId {
  return newContainerId();
}

/** One raw tar header block (GNU magic), for entries tar-stream will not write (GNU long names). */
export function rawHeader(name: string, typeflag: string, size: number): Buffer {
  const block = Buffer.alloc(512);
  block.write(name.slice(0, 100), 0, 'latin1');
  block.write('0000644\0', 100);
  block.write('0000000\0', 108);
  block.write('0000000\0', 116);
  block.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  block.write(`${(1_600_000_000).toString(8)}\0`, 136);
  block.write('        ', 148);
  block.write(typeflag, 156);
  block.write('ustar  \0', 257);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return block;
}

export function padded(data: Buffer): Buffer {
  return Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

/** A file entry whose name comes from a GNU long-name ('L') header. */
export function gnuLongNameTar(name: string, content: string): Buffer {
  const longName = Buffer.from(`${name}\0`, 'latin1');
  return Buffer.concat([
    rawHeader('././@LongLink', 'L', longName.length),
    padded(longName),
    rawHeader('short-name', '0', content.length),
    padded(Buffer.from(content)),
    Buffer.alloc(1024),
  ]);
}
