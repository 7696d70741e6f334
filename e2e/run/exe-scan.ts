import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * exe-scan.c built static for a busybox container, as base64 (what `base64 -d` inside the
 * container turns back into the program): it looks for the host's koker-init through
 * /proc/<pid>/exe and maps.
 */
export function exeScanBase64(): string {
  const dir = mkdtempSync(join(tmpdir(), 'koker-e2e-exe-scan-'));
  try {
    const source = fileURLToPath(new URL('./exe-scan.c', import.meta.url));
    const out = join(dir, 'exe-scan');
    execFileSync('cc', ['-static', '-O2', '-D_GNU_SOURCE', '-o', out, source]);
    return readFileSync(out).toString('base64');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The shell command that installs the program from stdin at `path` in a container. */
export const installExeScan = (path: string) => `base64 -d > ${path} && chmod +x ${path}`;
