import { posix } from 'node:path';
import { KokerError } from '@koker/core';

/** A copy Docker's rules refuse; the message is Docker's own. */
export class CopyRuleError extends KokerError {
  readonly code = 'INVALID_VALUE';
}

export interface CopySource {
  /** As the user wrote it (a byte string): a trailing '/.' copies what a directory holds. */
  readonly path: string;
  readonly isDir: boolean;
}

export interface CopyDestination {
  readonly path: string;
  readonly exists: boolean;
  readonly isDir: boolean;
}

/** Where the source's entries go: into `dir`, the top one named `topName` ('' = its contents). */
export interface CopyTarget {
  readonly dir: string;
  readonly topName: string;
}

/** `SRC/.` (or `.`): what the directory holds, not the directory itself. */
export function copiesContents(path: string): boolean {
  return path === '.' || path.endsWith('/.') || path.replace(/\/+$/, '') === '';
}

/** A trailing '/' or '/.' says the path must be a directory. */
export function assertsDirectory(path: string): boolean {
  return path.endsWith('/') || path === '.' || path.endsWith('/.');
}

function baseName(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '/' : posix.basename(trimmed);
}

function dirName(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '/' : posix.dirname(trimmed);
}

/**
 * Docker's `cp` rules (docs: "docker container cp"):
 * - the destination is a directory: the source goes into it under its own name, or its
 *   contents for `SRC/.`;
 * - it is a file: a file overwrites it; a directory cannot (`cannot copy directory`);
 * - it does not exist: a directory is created under the destination's name with the source's
 *   contents; a file is written under that name, unless the destination ends with '/' (then
 *   the directory must exist: `no such directory`).
 */
export function copyTarget(source: CopySource, destination: CopyDestination): CopyTarget {
  if (destination.exists && destination.isDir) {
    return {
      dir: destination.path,
      topName: source.isDir && copiesContents(source.path) ? '' : baseName(source.path),
    };
  }
  if (destination.exists && source.isDir) throw new CopyRuleError('cannot copy directory');
  if (!destination.exists && !source.isDir && assertsDirectory(destination.path)) {
    throw new CopyRuleError('no such directory', {
      hint: `the destination directory ${destination.path} must exist`,
    });
  }
  return { dir: dirName(destination.path), topName: baseName(destination.path) };
}
