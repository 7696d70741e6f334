import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readMergedFile } from '../src/index.js';
import { tempDir } from './helpers/layer-tar.js';

let dir: { path: string; remove: () => void };
beforeEach(() => (dir = tempDir()));
afterEach(() => dir.remove());

const isRoot = process.geteuid?.() === 0;

function file(path: string, content: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
}

/** Three layers (upper first) with whiteouts, an opaque directory and symlinks, as overlayfs stores them. */
function layers(root: string): string[] {
  const [upper, middle, lower] = ['upper', 'middle', 'lower'].map((name) => join(root, name)) as [
    string,
    string,
    string,
  ];
  file(join(lower, 'etc/passwd'), 'lower passwd\n');
  file(join(lower, 'etc/group'), 'lower group\n');
  file(join(lower, 'etc/hidden'), 'hidden by a whiteout\n');
  file(join(lower, 'opaque/old'), 'hidden by opacity\n');
  file(join(lower, 'real/motd'), 'motd through a link\n');
  file(join(lower, 'files/inner'), 'a file below a file\n');
  file(join(middle, 'etc/group'), 'middle group\n');
  file(join(middle, 'opaque/new'), 'in the opaque dir\n');
  execFileSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', join(middle, 'opaque')]);
  execFileSync('mknod', [join(middle, 'etc/hidden'), 'c', '0', '0']);
  writeFileSync(join(middle, 'files'), 'now a file\n');
  symlinkSync('../real', join(middle, 'etc/rel'));
  symlinkSync('/real/motd', join(middle, 'abs'));
  symlinkSync('/../../../../etc/hostname', join(middle, 'escape'));
  mkdirSync(join(upper, 'etc'), { recursive: true });
  file(join(upper, 'etc/passwd'), 'upper passwd\n');
  execFileSync('mkfifo', [join(upper, 'fifo')]);
  mkdirSync(join(root, 'work'));
  return [upper, middle, lower];
}

/** What the container sees: the same layers mounted by overlayfs, in a mount namespace of its own. */
function throughOverlay(root: string, [upper, middle, lower]: string[], path: string): string | undefined {
  const merged = join(root, 'merged');
  mkdirSync(merged, { recursive: true });
  const data = `lowerdir=${middle}:${lower},upperdir=${upper},workdir=${join(root, 'work')}`;
  const script = `mount -t overlay overlay -o "$1" "$2" && if [ -f "$2$3" ] && [ ! -p "$2$3" ]; then cat "$2$3"; else echo '<none>'; fi`;
  const out = execFileSync(
    'unshare',
    ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', data, merged, path],
    {
      encoding: 'utf8',
    },
  );
  return out === '<none>\n' ? undefined : out;
}

describe.runIf(isRoot)('readMergedFile', () => {
  it('reads what overlayfs shows for the same layers', () => {
    const stack = layers(dir.path);
    const paths = [
      '/etc/passwd',
      '/etc/group',
      '/etc/hidden',
      '/opaque/new',
      '/opaque/old',
      '/etc/rel/motd',
      '/files',
      '/files/inner',
      '/etc/../etc/group',
      '/missing',
      '/etc',
    ];
    for (const path of paths)
      expect(readMergedFile(stack, path), path).toBe(throughOverlay(dir.path, stack, path));
  });

  it('keeps symlinks inside the image and reads no FIFO', () => {
    const stack = layers(dir.path);
    // Absolute links resolve from the image's root (the host's shell would follow them on the host).
    expect(readMergedFile(stack, '/abs')).toBe('motd through a link\n');
    // '/../../../../etc/hostname' resolves inside the image (to its absent /etc/hostname), not the host's.
    expect(readMergedFile(stack, '/escape')).toBeUndefined();
    expect(readMergedFile(stack, '/fifo')).toBeUndefined();
  });

  it('refuses a symlink loop', () => {
    const stack = layers(dir.path);
    symlinkSync('/loop', join(stack[0] as string, 'loop'));
    expect(() => readMergedFile(stack, '/loop')).toThrow(/symbolic links/);
  });
});
