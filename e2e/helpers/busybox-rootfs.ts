import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BUSYBOX = '/bin/busybox';

/**
 * A root filesystem made from Debian's busybox-static: /bin/busybox, a symlink per applet, and
 * small /etc/passwd and /etc/group files (root, a user `koker` with supplementary groups,
 * nobody). A plain directory: what the launcher needs, without images or overlayfs.
 */
export function makeBusyboxRootfs(): { dir: string; rootfs: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'koker-e2e-run-'));
  const rootfs = join(dir, 'rootfs');
  for (const sub of ['bin', 'etc', 'tmp', 'root', 'home/koker'])
    mkdirSync(join(rootfs, sub), { recursive: true });
  copyFileSync(BUSYBOX, join(rootfs, 'bin', 'busybox'));
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const applet of applets) if (applet !== 'busybox') symlinkSync('busybox', join(rootfs, 'bin', applet));
  writeFileSync(
    join(rootfs, 'etc', 'passwd'),
    [
      'root:x:0:0:root:/root:/bin/sh',
      'koker:x:1234:1234:koker:/home/koker:/bin/sh',
      'nobody:x:65534:65534:nobody:/nonexistent:/bin/false',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(rootfs, 'etc', 'group'),
    ['root:x:0:', 'wheel:x:10:root,koker', 'audio:x:29:koker', 'koker:x:1234:', 'nogroup:x:65534:', ''].join(
      '\n',
    ),
  );
  return { dir, rootfs, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
