import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A small C program of the e2e suite built static for a busybox container, as base64: what
 * `base64 -d` inside the container turns back into the program (see installStaticProgram).
 */
export function staticProgramBase64(source: URL): string {
  const dir = mkdtempSync(join(tmpdir(), 'koker-e2e-static-program-'));
  try {
    const out = join(dir, 'program');
    execFileSync('cc', ['-static', '-O2', '-D_GNU_SOURCE', '-o', out, fileURLToPath(source)]);
    return readFileSync(out).toString('base64');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The shell command that installs such a program from stdin at `path` in a container. */
export const installStaticProgram = (path: string) => `base64 -d > ${path} && chmod +x ${path}`;
