import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * seccomp-probe.c built static for a busybox container, as base64 (`base64 -d` inside the
 * container turns it back into the program): it calls what the default profile denies.
 */
export function seccompProbeBase64(): string {
  const dir = mkdtempSync(join(tmpdir(), 'koker-e2e-seccomp-probe-'));
  try {
    const source = fileURLToPath(new URL('./seccomp-probe.c', import.meta.url));
    const out = join(dir, 'seccomp-probe');
    execFileSync('cc', ['-static', '-O2', '-D_GNU_SOURCE', '-o', out, source]);
    return readFileSync(out).toString('base64');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The shell command that installs the probe from stdin at /tmp/probe and runs it. */
export const runSeccompProbe = 'base64 -d > /tmp/probe && chmod +x /tmp/probe && /tmp/probe';
