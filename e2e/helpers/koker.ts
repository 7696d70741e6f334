import { spawn } from 'node:child_process';
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
