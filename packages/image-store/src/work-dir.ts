import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type Logger } from '@koker/core';

/** The start time of a process (clock ticks since boot), which tells a live owner from a reused PID. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

let ownTag: string | undefined;

function ownerTag(): string {
  ownTag ??= `${process.pid}.${processStartTime(process.pid) ?? '0'}`;
  return ownTag;
}

/** A fresh directory under `tmpDir` named for this process, so a sweep can tell whether its owner lives. */
export async function makeWorkDir(tmpDir: string): Promise<string> {
  await mkdir(tmpDir, { recursive: true, mode: 0o700 });
  const dir = join(tmpDir, `${ownerTag()}-${randomBytes(6).toString('hex')}`);
  await mkdir(dir, { mode: 0o700 });
  return dir;
}

/** Removes work directories whose owner process is gone (killed mid-pull, crashed). */
export async function sweepWorkDirs(tmpDir: string, log?: Logger): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(tmpDir);
  } catch {
    return;
  }
  for (const entry of entries) {
    const match = /^(\d+)\.(\d+)-/.exec(entry);
    const alive = match && processStartTime(Number(match[1])) === match[2];
    if (alive) continue;
    log?.debug({ path: join(tmpDir, entry) }, 'Remove leftover work directory');
    await rm(join(tmpDir, entry), { recursive: true, force: true });
  }
}
