import { spawn } from 'node:child_process';
import { HostError, type Logger } from '@koker/core';
import { type SpecHook } from '@koker/engine';

/**
 * Runs a hook as the runtime-spec says: its path with its args and env, the container's state
 * JSON on stdin; a non-zero exit (or the timeout) fails the operation.
 */
export async function runHooks(
  kind: string,
  hooks: readonly SpecHook[],
  state: object,
  log: Logger,
): Promise<void> {
  for (const hook of hooks) {
    log.debug({ hook: kind, path: hook.path }, 'Run hook');
    await new Promise<void>((resolve, reject) => {
      const child = spawn(hook.path, hook.args.slice(1), {
        argv0: hook.args[0] ?? hook.path,
        env: Object.fromEntries(
          hook.env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
        ),
        stdio: ['pipe', 'ignore', 'inherit'],
        ...(hook.timeout ? { timeout: hook.timeout * 1000 } : {}),
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(JSON.stringify(state));
      child.once('error', (error) => reject(new HostError(`${kind} hook ${hook.path}: ${error.message}`)));
      child.once('close', (code, signal) =>
        code === 0
          ? resolve()
          : reject(
              new HostError(
                `${kind} hook ${hook.path} failed: ${signal ? `killed by ${signal}` : `exit status ${code}`}`,
              ),
            ),
      );
    });
  }
}
