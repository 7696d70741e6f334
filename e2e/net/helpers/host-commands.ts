import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program (arguments as an array, no shell) and returns what it printed. */
export function sh(file: string, args: readonly string[], timeoutMs = 20_000): CommandResult {
  const result = spawnSync(file, args, { encoding: 'utf8', timeout: timeoutMs });
  return { code: result.status ?? -1, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

/** Like `sh`, but throws with stderr when the program fails. */
export function must(file: string, args: readonly string[]): string {
  const result = sh(file, args);
  if (result.code !== 0)
    throw new Error(`${file} ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

/** `busybox APPLET ...` inside a network namespace file (only the network namespace changes). */
export function inNetns(
  netns: string,
  applet: string,
  args: readonly string[],
  timeoutMs?: number,
): CommandResult {
  return sh('nsenter', [`--net=${netns}`, 'busybox', applet, ...args], timeoutMs);
}

/** A long-running busybox server inside a network namespace; `stop()` kills it. */
export function startInNetns(
  netns: string,
  applet: string,
  args: readonly string[],
): { stop: () => void; process: ChildProcess } {
  const child = spawn('nsenter', [`--net=${netns}`, 'busybox', applet, ...args], { stdio: 'ignore' });
  return {
    process: child,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** HTTP GET with busybox wget from inside a namespace; retries while the server starts. */
export async function wgetFrom(
  netns: string | undefined,
  url: string,
  attempts = 30,
): Promise<CommandResult> {
  let last: CommandResult = { code: -1, stdout: '', stderr: '' };
  for (let i = 0; i < attempts; i++) {
    // No `-T`: Debian's static busybox 1.35 wget crashes with it; spawnSync's timeout bounds it.
    last = netns
      ? inNetns(netns, 'wget', ['-q', '-O', '-', url], 5_000)
      : sh('busybox', ['wget', '-q', '-O', '-', url], 5_000);
    if (last.code === 0) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return last;
}
