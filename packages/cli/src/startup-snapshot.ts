/**
 * The start-up snapshot this process was started from (`node --snapshot-blob PATH`, as bin/koker
 * does when the snapshot fits this node binary), or undefined when Node loaded the bundle.
 */
export function startupSnapshotPath(execArgv: readonly string[] = process.execArgv): string | undefined {
  for (const [index, arg] of execArgv.entries()) {
    if (arg === '--snapshot-blob') return execArgv[index + 1];
    if (arg.startsWith('--snapshot-blob=')) return arg.slice('--snapshot-blob='.length);
  }
  return undefined;
}
