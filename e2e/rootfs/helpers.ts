import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pack, type Headers } from 'tar-stream';
import {
  DEFAULT_CONFIG,
  KoffiSyscalls,
  createLogger,
  newContainerId,
  type ContainerId,
  type Logger,
} from '@koker/core';
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
