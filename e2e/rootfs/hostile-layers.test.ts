import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
  linkSync,
  symlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OverlayStorageDriver } from '@koker/fs-overlay';
import {
  TAR,
  TAR_GZIP,
  gnuLongNameTar,
  overlayDriver,
  plainStream,
  tarOf,
  tempRoot,
  type Entry,
} from './helpers.js';

/**
 * Layers built to escape their directory. Each case is applied for real, as root, and the host
 * around it is compared before and after: nothing outside the layer directory may change.
 */

let root: { root: string; remove: () => void };
let host: string;
let driver: OverlayStorageDriver;
const UP = '../'.repeat(12);

/** Everything about the host tree a layer could touch: types, contents, modes, owners, links, xattrs. */
function snapshot(dir: string): string[] {
  const lines: string[] = [];
  const walk = (path: string) => {
    const st = lstatSync(path);
    let detail = '';
    if (st.isFile()) detail = createHash('sha256').update(readFileSync(path)).digest('hex');
    else if (st.isSymbolicLink()) detail = readlinkSync(path);
    lines.push(
      `${path} ${st.mode.toString(8)} ${st.uid}:${st.gid} nlink=${st.nlink} mtime=${st.mtimeMs} ${detail}`,
    );
    if (st.isDirectory()) for (const child of readdirSync(path).sort()) walk(join(path, child));
  };
  walk(dir);
  lines.push(
    execFileSync('getfattr', ['-R', '-d', '-h', '-m', '-', '--absolute-names', dir], { encoding: 'utf8' }),
  );
  return lines;
}

beforeAll(() => {
  root = tempRoot();
  driver = overlayDriver(root.root);
  host = mkdtempSync('/tmp/koker-hostile-host-');
  writeFileSync(join(host, 'victim'), 'the host file\n', { mode: 0o644 });
  linkSync(join(host, 'victim'), join(host, 'victim-second-link'));
  mkdirSync(join(host, 'dir'), { mode: 0o755 });
  writeFileSync(join(host, 'dir', 'inner'), 'inner\n');
  symlinkSync('victim', join(host, 'relative-link'));
});
afterAll(() => {
  rmSync(host, { recursive: true, force: true });
  root.remove();
});

let counter = 0;
function layerTarget(): string {
  return join(root.root, 'layers', `case-${++counter}`);
}

async function expectRefused(stream: Readable, mediaType: string, message: RegExp, limits = {}) {
  const before = snapshot(host);
  const target = layerTarget();
  await expect(driver.applyLayer(stream, { target, mediaType, limits })).rejects.toThrow(message);
  expect(existsSync(target), 'the partial layer is removed').toBe(false);
  expect(snapshot(host)).toEqual(before);
}

async function refused(entries: Entry[], message: RegExp) {
  await expectRefused(plainStream(await tarOf(entries)), TAR, message);
}

/** Applies a layer that must succeed, confined to its directory; returns the layer path. */
async function confined(entries: Entry[]): Promise<string> {
  const before = snapshot(host);
  const target = layerTarget();
  await driver.applyLayer(plainStream(await tarOf(entries)), { target, mediaType: TAR });
  expect(snapshot(host)).toEqual(before);
  return target;
}

describe('hostile layers cannot change the host', () => {
  it('refuses ../ traversal', async () => {
    await refused([{ name: `${UP}${host.slice(1)}/victim`, content: 'pwned' }], /"\.\." component/);
    await refused([{ name: 'a/b/../../../victim', content: 'pwned' }], /a\/b\/\.\.\/\.\.\/\.\.\/victim/);
  });

  it('confines absolute names to the layer', async () => {
    const layer = await confined([{ name: `${host}/victim`, content: 'pwned' }]);
    expect(readFileSync(join(layer, host, 'victim'), 'utf8')).toBe('pwned');
  });

  it('never writes through a symlink (absolute or relative) made by an earlier entry', async () => {
    for (const linkname of [host, `${UP}${host.slice(1)}`]) {
      await refused(
        [
          { name: 'evil', type: 'symlink', linkname },
          { name: 'evil/victim', content: 'pwned' },
        ],
        /"evil" is a symlink/,
      );
      await refused(
        [
          { name: 'evil', type: 'symlink', linkname },
          { name: 'evil/newdir/', type: 'directory' },
        ],
        /"evil" is a symlink/,
      );
    }
  });

  it('refuses a symlinked parent directory deeper in the path', async () => {
    await refused(
      [
        { name: 'a/', type: 'directory' },
        { name: 'a/b', type: 'symlink', linkname: join(host, 'dir') },
        { name: 'a/b/c/d', content: 'pwned' },
      ],
      /"a\/b" is a symlink/,
    );
  });

  it('refuses hardlinks to host files, and the host file keeps its link count', async () => {
    await refused(
      [{ name: 'x', type: 'link', linkname: `${UP}${host.slice(1)}/victim` }],
      /"\.\." component/,
    );
    await refused(
      [{ name: 'x', type: 'link', linkname: `${host}/victim` }],
      /hardlink target .* is not in the layer/,
    );
    await refused(
      [
        { name: 'evil', type: 'symlink', linkname: host },
        { name: 'x', type: 'link', linkname: 'evil/victim' },
      ],
      /"evil" is a symlink/,
    );
    expect(lstatSync(join(host, 'victim')).nlink).toBe(2);
  });

  it('refuses whiteouts of host paths', async () => {
    await refused([{ name: `${UP}${host.slice(1)}/.wh.victim`, content: '' }], /"\.\." component/);
    await refused(
      [
        { name: 'evil', type: 'symlink', linkname: host },
        { name: 'evil/.wh.victim', content: '' },
      ],
      /"evil" is a symlink/,
    );
    await refused(
      [
        { name: 'evil', type: 'symlink', linkname: join(host, 'dir') },
        { name: 'evil/.wh..wh..opq', content: '' },
      ],
      /"evil" is a symlink/,
    );
    await refused([{ name: 'a/.wh...', content: '' }], /whiteout of no file/);
    const layer = await confined([{ name: `${host}/.wh.victim`, content: '' }]);
    expect(lstatSync(join(layer, host, 'victim')).isCharacterDevice()).toBe(true);
  });

  it('replaces a symlink by a directory or file without touching its target', async () => {
    const layer = await confined([
      { name: 'evil', type: 'symlink', linkname: join(host, 'dir') },
      { name: 'evil/', type: 'directory', mode: 0o777 },
      { name: 'evil/inner', content: 'inside the layer' },
      { name: 'evil2', type: 'symlink', linkname: join(host, 'victim') },
      { name: 'evil2', content: 'inside the layer', mode: 0o4777 },
    ]);
    expect(lstatSync(join(layer, 'evil')).isDirectory()).toBe(true);
    expect(readFileSync(join(layer, 'evil/inner'), 'utf8')).toBe('inside the layer');
    expect(lstatSync(join(layer, 'evil2')).isFile()).toBe(true);
  });

  it('refuses traversal carried by PAX and GNU long names, and NUL bytes', async () => {
    await refused(
      [{ name: 'innocent', content: 'x', pax: { path: `${UP}${host.slice(1)}/victim` } }],
      /"\.\." component/,
    );
    await refused([{ name: 'innocent', content: 'x', pax: { path: 'a\u0000/../../victim' } }], /NUL byte/);
    await refused([{ name: 'l', type: 'symlink', linkname: 'x', pax: { linkpath: 'a\u0000b' } }], /NUL byte/);
    const long = `${'d'.repeat(120)}/${UP}${host.slice(1)}/victim`;
    await expectRefused(plainStream(gnuLongNameTar(long, 'pwned')), TAR, /"\.\." component/);
  });

  it('refuses a hardlink to a directory of the layer', async () => {
    await refused(
      [
        { name: 'd/', type: 'directory' },
        { name: 'x', type: 'link', linkname: 'd' },
      ],
      /hardlink to a directory/,
    );
  });

  it('stops a decompression bomb at the size limit and removes what it wrote', async () => {
    const packer = pack();
    const size = 256 * 1024 * 1024;
    const file = packer.entry({ name: 'bomb', size });
    const zeros = Buffer.alloc(1024 * 1024);
    (async () => {
      for (let written = 0; written < size; written += zeros.length) {
        if (!file.write(zeros)) await new Promise((resolve) => file.once('drain', resolve));
      }
      file.end();
      packer.finalize();
    })();
    const chunks: Buffer[] = [];
    for await (const chunk of packer.pipe(createGzip({ level: 9 }))) chunks.push(chunk as Buffer);
    const blob = Buffer.concat(chunks);
    expect(blob.length).toBeLessThan(size / 500);
    await expectRefused(Readable.from([blob]), TAR_GZIP, /larger than 16777216 bytes/, {
      maxBytes: 16 * 1024 * 1024,
    });
  });

  it('stops an entry-count bomb and an oversized extension header', async () => {
    const many: Entry[] = Array.from({ length: 1500 }, (_, i) => ({ name: `f${i}`, content: '' }));
    await expectRefused(plainStream(await tarOf(many)), TAR, /more than 1000 entries/, { maxEntries: 1000 });
    await refused(
      [{ name: 'x', content: '', pax: { comment: 'z'.repeat(2 * 1024 * 1024) } }],
      /over the limit/,
    );
  });
});
