import { spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The `koker` command users run: the launcher that starts Node from koker's snapshot (ADR 0010). */
export const KOKER_BIN = fileURLToPath(new URL('../../packages/cli/bin/koker', import.meta.url));

export interface KokerResult {
  readonly code: number;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface KokerOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: string;
  readonly timeoutMs?: number;
  /** Run as this uid (e.g. 65534) to check what non-root users see. */
  readonly uid?: number;
  /** Another copy of the command (default: the checkout's). */
  readonly bin?: string;
}

/** Runs the built `koker` command and collects what a user would see. */
export function koker(args: readonly string[], options: KokerOptions = {}): Promise<KokerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.bin ?? KOKER_BIN, args, {
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, signal, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/**
 * A copy of the built command that every user can read and run: bin/, the bundle and the start-up
 * snapshot (the same files as the checkout's, so it starts the same way) in a fresh directory
 * under /tmp. The checkout may sit where only root can enter (a clone under /root), and a user
 * who cannot reach its files could not start it at all.
 */
export function kokerForAnyUser(): { readonly bin: string; remove(): void } {
  const cli = dirname(dirname(KOKER_BIN));
  const dir = mkdtempSync('/tmp/koker-e2e-any-user-');
  cpSync(join(cli, 'bin'), join(dir, 'bin'), { recursive: true });
  cpSync(join(cli, 'dist', 'bundle'), join(dir, 'dist', 'bundle'), { recursive: true });
  mkdirSync(join(dir, 'dist', 'snapshot'));
  for (const file of ['koker.blob', 'import-module.cjs', 'node.stamp'])
    cpSync(join(cli, 'dist', 'snapshot', file), join(dir, 'dist', 'snapshot', file));
  readableByAll(dir);
  return { bin: join(dir, 'bin', 'koker'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** chmod -R a+rX: whatever umask the checkout was made with. */
function readableByAll(path: string): void {
  const stat = statSync(path);
  const directory = stat.isDirectory();
  chmodSync(path, stat.mode | (directory || stat.mode & 0o100 ? 0o555 : 0o444));
  if (directory) for (const entry of readdirSync(path)) readableByAll(join(path, entry));
}
