// koker's start-up snapshot blob (ADR 0010), made from dist/snapshot/koker.cjs by a given node
// binary. Used by bundle.mjs at build time and by postinstall.mjs on the machine koker is
// installed on: V8 only starts from a blob made by the same binary with the same flags.
import { spawnSync } from 'node:child_process';
import { realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Makes `<dir>/koker.blob` with `node` and stamps that binary next to it (`node.stamp`: inode,
 * size, mtime, what bin/koker compares with `stat -L -c '%i %s %Y'`; it runs the bundle when they
 * differ). Files are replaced by rename: a koker starting meanwhile reads an old blob or a new one.
 */
export function buildSnapshotBlob(dir, node = process.execPath) {
  const blob = join(dir, 'koker.blob');
  // NODE_OPTIONS would be baked into the blob's flags; bin/koker never starts it with them.
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const made = spawnSync(
    node,
    ['--no-warnings', '--snapshot-blob', `${blob}.tmp`, '--build-snapshot', join(dir, 'koker.cjs')],
    { stdio: 'inherit', env },
  );
  if (made.status !== 0) throw new Error(`node --build-snapshot failed (status ${made.status})`);
  renameSync(`${blob}.tmp`, blob);
  const stat = statSync(realpathSync(node));
  const stamp = join(dir, 'node.stamp');
  writeFileSync(`${stamp}.tmp`, `${stat.ino} ${stat.size} ${Math.floor(stat.mtimeMs / 1000)}\n`);
  renameSync(`${stamp}.tmp`, stamp);
}
