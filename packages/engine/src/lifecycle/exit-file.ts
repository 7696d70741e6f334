import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

/** What koker-monitor writes to `<container dir>/exit.json` when the container's process ends. */
export interface ExitFile {
  readonly exitCode: number;
  /** The signal that killed it, 0 if it exited. */
  readonly signal: number;
  readonly finishedAt: string;
  readonly pid: number;
}

export const EXIT_FILE = 'exit.json';

export function parseExitFile(text: string): ExitFile | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { exitCode, signal, finishedAt, pid } = raw as Record<string, unknown>;
  if (
    !Number.isSafeInteger(exitCode) ||
    !Number.isSafeInteger(signal) ||
    !Number.isSafeInteger(pid) ||
    typeof finishedAt !== 'string' ||
    Number.isNaN(Date.parse(finishedAt))
  )
    return undefined;
  return { exitCode: exitCode as number, signal: signal as number, finishedAt, pid: pid as number };
}

/** The monitor's report of how the container ended, if it wrote one (and it parses). */
export async function readExitFile(containerDir: string): Promise<ExitFile | undefined> {
  try {
    // A few bytes: one synchronous read costs less than readFile's trips to the thread pool.
    return parseExitFile(readFileSync(join(containerDir, EXIT_FILE), 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Before a container starts again, so its previous end is not read as the new one's. */
export async function removeExitFile(containerDir: string): Promise<void> {
  await rm(join(containerDir, EXIT_FILE), { force: true });
}
