import { posix } from 'node:path';
import { DockerfileError } from '../dockerfile/dockerfile-error.js';
import { type Instruction } from '../dockerfile/parse-dockerfile.js';
import { expandString } from '../dockerfile/words.js';
import { type FileSource, type RunMount } from './backend.js';
import { bytes } from './copy-entries.js';
import { entriesDigest } from './entries-digest.js';
import { parseRunMount } from './run-mounts.js';

export interface RunMountScope {
  /** The variables the instruction sees (its ARGs and ENV). */
  readonly vars: Map<string, string>;
  readonly escape: string;
  readonly workdir: string;
  readonly context: FileSource;
  readonly secrets: ReadonlyMap<string, Buffer>;
  /** The files of a stage, an image or the context (`from` absent or `context`), and what names them. */
  filesOf(from: string | undefined): Promise<{ files: FileSource; id: string }>;
}

export interface ResolvedRunMounts {
  readonly mounts: readonly RunMount[];
  /** What of the mounts goes into the step's cache key. */
  readonly keys: readonly string[];
  /** Closes the stages' and images' files the mounts opened. */
  close(): void;
}

/**
 * A RUN's `--mount`s, variables expanded, with what they show: a bind's files (their digest is
 * part of the step's cache key, as the command reads them), a cache's seed (`from`; a cache's
 * contents are never part of the key), a secret the build was given (left out when it was not
 * and the mount is not `required`; never part of the key).
 */
export async function resolveRunMounts(
  instruction: Instruction,
  scope: RunMountScope,
): Promise<ResolvedRunMounts> {
  const opened: FileSource[] = [];
  const close = () => {
    for (const files of opened) files.close();
  };
  const mounts: RunMount[] = [];
  const keys: string[] = [];
  try {
    for (const text of instruction.flagValues.mount ?? []) {
      const spec = parseRunMount(
        expandString(text, scope.vars, scope.escape),
        scope.workdir,
        instruction.line,
      );
      if (spec.type === 'tmpfs') {
        mounts.push(spec);
        keys.push(JSON.stringify(spec));
        continue;
      }
      if (spec.type === 'secret') {
        const content = scope.secrets.get(spec.id);
        if (content === undefined) {
          if (spec.required)
            throw new DockerfileError(
              `secret ${spec.id} not found: give it with --secret id=${spec.id},src=FILE`,
              instruction.line,
            );
          continue;
        }
        mounts.push({ ...spec, content });
        keys.push(JSON.stringify(spec));
        continue;
      }
      const found =
        spec.type === 'bind' || spec.from !== undefined ? await scope.filesOf(spec.from) : undefined;
      if (found && found.files !== scope.context) opened.push(found.files);
      const path = bytes(posix.normalize(`/${spec.source}`).slice(1));
      if (found && !found.files.stat(path, true))
        throw new DockerfileError(
          `--mount source ${spec.source} not found in ${spec.from ?? 'the build context'}`,
          instruction.line,
        );
      if (spec.type === 'bind') {
        const { files } = found as { files: FileSource };
        mounts.push({ type: 'bind', target: spec.target, readwrite: spec.readwrite, files, path });
        keys.push(JSON.stringify([spec, await entriesDigest(files.entries(path, '', true))]));
        continue;
      }
      mounts.push({
        ...spec,
        ...(found ? { seed: { files: found.files, path }, seedId: `${found.id}:${spec.source}` } : {}),
      });
      keys.push(JSON.stringify(spec));
    }
  } catch (error) {
    close();
    throw error;
  }
  return { mounts, keys, close };
}
