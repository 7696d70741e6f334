import { statSync } from 'node:fs';
import { posix } from 'node:path';
import { InvalidValueError } from '../errors/index.js';

// Kernel file systems: state written there is lost or, worse, changes the running kernel.
const REFUSED_TREES = ['/proc', '/sys', '/dev'];

/**
 * koker's root directory (`--root`, KOKER_ROOT, `root` in the config file) checked and
 * normalised: a non-empty absolute path, not `/` nor under /proc, /sys or /dev, and a directory if
 * it exists. `from` says where the value came from, for the message.
 */
export function parseRootDirectory(
  value: string,
  from: string,
  isDirectory: (path: string) => boolean | undefined = statDirectory,
): string {
  const what = `root directory (${from})`;
  if (value.trim() === '')
    throw new InvalidValueError(what, value, 'it is empty', {
      hint: 'give an absolute directory path, e.g. --root /var/lib/koker',
    });
  if (!value.startsWith('/'))
    throw new InvalidValueError(what, value, 'must be an absolute path', {
      hint: `e.g. --root ${posix.resolve('/', value)}`,
    });
  const normal = posix.normalize(value).replace(/(.)\/+$/, '$1');
  if (normal === '/')
    throw new InvalidValueError(what, value, 'koker will not keep its state in / itself', {
      hint: 'give a directory of its own, e.g. --root /var/lib/koker',
    });
  const tree = REFUSED_TREES.find((t) => normal === t || normal.startsWith(`${t}/`));
  if (tree)
    throw new InvalidValueError(what, value, `${tree} is a kernel file system, not storage`, {
      hint: 'give a directory on a disk, e.g. --root /var/lib/koker',
    });
  if (isDirectory(normal) === false)
    throw new InvalidValueError(what, value, 'it exists and is not a directory', {
      hint: 'give a directory path, or a path that does not exist yet',
    });
  return normal;
}

/** true for a directory, false for anything else, undefined when nothing is there. */
function statDirectory(path: string): boolean | undefined {
  try {
    return statSync(path).isDirectory();
  } catch {
    return undefined;
  }
}
