// koker's start-up snapshot blob (ADR 0010), made from dist/snapshot/koker.cjs by a given node
// binary. Used by bundle.mjs at build time and by postinstall.mjs on the machine koker is
// installed on: V8 only starts from a blob made by the same binary with the same flags.
import { spawnSync } from 'node:child_process';
import { realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * V8 flags the blob is made with, and so every start from it (V8 refuses a blob made under other
 * flags). The young generation's size is read only at start; 1 MiB semi-spaces (Node 20's
 * default grows them to 8) keep a command that streams layers, such as `run` of an image it must
 * pull, within the 80 MB of the CLI's memory goal (docs/benchmarks.md, "Memory of pull and push").
 */
export const SNAPSHOT_NODE_FLAGS = ['--max-semi-space-size=1'];

/**
 * Makes `<dir>/koker.blob` with `node` and stamps that binary next to it (`node.stamp`: inode,
 * size, mtime, what bin/koker compares with `stat -L -c '%i %s %Y'`; it runs the bundle when they
 * differ; then, on a line of their own, the flags to start the blob with). Files are replaced by
 * rename, the stamp removed first: a koker starting meanwhile runs the bundle, or a blob with its
 * own stamp.
 */
export function buildSnapshotBlob(dir, node = process.execPath) {
  const blob = join(dir, 'koker.blob');
  // NODE_OPTIONS would be baked into the blob's flags; bin/koker never starts it with them.
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const made = spawnSync(
    node,
    [
      '--no-warnings',
      ...SNAPSHOT_NODE_FLAGS,
      '--snapshot-blob',
      `${blob}.tmp`,
      '--build-snapshot',
      join(dir, 'koker.cjs'),
    ],
    { stdio: 'inherit', env },
  );
  if (made.status !== 0) throw new Error(`node --build-snapshot failed (status ${made.status})`);
  const stat = statSync(realpathSync(node));
  const stamp = join(dir, 'node.stamp');
  writeFileSync(
    `${stamp}.tmp`,
    `${stat.ino} ${stat.size} ${Math.floor(stat.mtimeMs / 1000)}\n${SNAPSHOT_NODE_FLAGS.join(' ')}\n`,
  );
  rmSync(stamp, { force: true });
  renameSync(`${blob}.tmp`, blob);
  renameSync(`${stamp}.tmp`, stamp);
}
