import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, open, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { HostError } from '@koker/core';

/** A plain fd (not a FileHandle, which closes itself when collected: the stream owns ours). */
function openFd(path: string, flags: 'r' | 'w'): Promise<number> {
  return new Promise((resolve, reject) =>
    open(path, flags, (error, fd) => (error ? reject(error) : resolve(fd))),
  );
}

/** One FIFO: the exec'd process's end (a blocking fd) and the service's (a non-blocking stream). */
interface Fifo {
  readonly child: number;
  readonly ours: Socket;
}

/**
 * The stdio of a process exec'd for the API: FIFOs, each end opened on its own (so the process's
 * is blocking, as programs expect, and the service's is a stream Node reads without a thread).
 */
export class ExecPipes {
  private constructor(
    /** The FIFOs' directory (root's, 0700), removed with them. */
    readonly directory: string,
    readonly stdin: Fifo | undefined,
    readonly stdout: Fifo,
    readonly stderr: Fifo | undefined,
  ) {}

  static async open(dir: string, options: { stdin: boolean; stderr: boolean }): Promise<ExecPipes> {
    const made = mkdtempSync(join(dir, 'exec-'));
    const fifo = async (name: string, childReads: boolean): Promise<Fifo> => {
      const path = join(made, name);
      const result = spawnSync('mkfifo', ['-m', '600', path]);
      if (result.status !== 0)
        throw new HostError(`cannot make a FIFO at ${path}: ${result.stderr.toString().trim()}`);
      // Each open waits for the other end: both at once.
      const [child, ours] = await Promise.all([
        openFd(path, childReads ? 'r' : 'w'),
        openFd(path, childReads ? 'w' : 'r'),
      ]);
      const stream = new Socket({ fd: ours, readable: !childReads, writable: childReads });
      return { child, ours: stream };
    };
    const stdin = options.stdin ? await fifo('stdin', true) : undefined;
    const stdout = await fifo('stdout', false);
    const stderr = options.stderr ? await fifo('stderr', false) : undefined;
    return new ExecPipes(made, stdin, stdout, stderr);
  }

  /** The process's ends, for the launcher. */
  childStdio(): [number | 'null', number, number] {
    return [this.stdin?.child ?? 'null', this.stdout.child, (this.stderr ?? this.stdout).child];
  }

  /** Once the process has them: ours must be the only ends left, or no EOF would come. */
  closeChildEnds(): void {
    if (this.closed) return;
    this.closed = true;
    for (const fifo of [this.stdin, this.stdout, this.stderr]) if (fifo) closeSync(fifo.child);
  }

  private closed = false;

  remove(): void {
    rmSync(this.directory, { recursive: true, force: true });
  }
}
