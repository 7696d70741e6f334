import { spawn } from 'node:child_process';

/** `git daemon` serving the repositories under a directory on a loopback port of its own. */
export interface GitDaemon {
  /** `git://127.0.0.1:PORT/NAME` of the repository in `NAME` under the base directory. */
  url(name: string): string;
  stop(): void;
}

/** Starts it (every repository exported, no access check) and waits until it says it is ready. */
export async function startGitDaemon(basePath: string): Promise<GitDaemon> {
  // git daemon cannot listen on port 0 and say which it got: a random one of the high range.
  const port = 20_000 + Math.floor(Math.random() * 40_000);
  const daemon = spawn(
    'git',
    [
      'daemon',
      '--verbose',
      '--export-all',
      `--base-path=${basePath}`,
      '--listen=127.0.0.1',
      `--port=${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  try {
    await new Promise<void>((ready, fail) => {
      let said = '';
      daemon.stderr.on('data', (c: Buffer) => {
        said += c.toString();
        if (said.includes('Ready to rumble')) ready();
      });
      daemon.once('exit', (code) => fail(new Error(`git daemon exited ${code}: ${said}`)));
    });
  } catch (error) {
    daemon.kill();
    throw error;
  }
  return { url: (name) => `git://127.0.0.1:${port}/${name}`, stop: () => daemon.kill() };
}
