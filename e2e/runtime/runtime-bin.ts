import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { koker, type KokerResult } from '../helpers/koker.js';

/** The `koker-runtime` command engines call (a bin of the CLI package). */
export const RUNTIME_BIN = fileURLToPath(new URL('../../packages/cli/bin/koker-runtime', import.meta.url));

/** Runs koker-runtime with a private --root, as an engine would. */
export function runtime(root: string, args: readonly string[], timeoutMs = 60_000): Promise<KokerResult> {
  return koker(['--root', root, ...args], { bin: RUNTIME_BIN, timeoutMs });
}

/**
 * `create` (or `run -d`) as conmon calls it: the container's process keeps the runtime's stdout
 * and stderr, so they go to a file (pipes would stay open as long as the container runs).
 */
export function runtimeDetached(
  root: string,
  args: readonly string[],
  output: string,
): { code: number; output: string } {
  const fd = openSync(output, 'w');
  try {
    const result = spawnSync(RUNTIME_BIN, ['--root', root, ...args], {
      stdio: ['ignore', fd, fd],
      timeout: 60_000,
    });
    return { code: result.status ?? -1, output: readFileSync(output, 'utf8') };
  } finally {
    closeSync(fd);
  }
}

/** config.json, edited freely by tests as engines write it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/** A bundle from `koker-runtime spec` around a rootfs, its process and options changed by `edit`. */
export function writeBundle(dir: string, edit: (config: Json) => void): void {
  execFileSync(RUNTIME_BIN, ['spec', '--bundle', dir]);
  const path = join(dir, 'config.json');
  const config = JSON.parse(readFileSync(path, 'utf8')) as Json;
  edit(config);
  writeFileSync(path, JSON.stringify(config));
}

/**
 * `--ulimit` flags an engine can apply here: an engine's defaults (1048576 open files) need
 * CAP_SYS_RESOURCE to raise a hard limit, which a test machine's root may lack (runc fails the
 * same way); these only lower the limits the engine's processes have.
 */
export const LOW_ULIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=16384:16384'];
