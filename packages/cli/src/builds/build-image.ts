import { type BuildOptions, type BuildProgress, ImageBuilder } from '@koker/builder';
import { ImageReference, shortDigest, type Digest } from '@koker/core';
import { type CliContext } from '../context.js';
import { KokerBuildBackend } from './build-backend.js';
import { openBuildContext } from './build-context.js';

/** Where a build's context comes from: a directory, or `-` and a stream (a tar, or a Dockerfile). */
export interface BuildSource {
  readonly path: string;
  /** The Dockerfile: `-f` (in the context when the context is a stream). */
  readonly file?: string | undefined;
  readonly stdin?: NodeJS.ReadableStream;
}

/** Docker's classic builder output: each step, ` ---> CACHED` for a cache hit, its image, then the ID. */
function progressTo(
  out: NodeJS.WritableStream | undefined,
  tags: readonly string[],
  built: (id: string) => void,
): BuildProgress {
  return {
    step: (index, total, text) => out?.write(`Step ${index}/${total} : ${text}\n`),
    cached: () => out?.write(' ---> CACHED\n'),
    made: (id) => out?.write(` ---> ${shortDigest(id as Digest)}\n`),
    done: (id) => {
      built(id);
      out?.write(`Successfully built ${shortDigest(id as Digest)}\n`);
      for (const tag of tags) out?.write(`Successfully tagged ${tag}\n`);
    },
    ...(out ? { output: out } : {}),
  };
}

/**
 * An image from a Dockerfile through @koker/builder (`koker build`, the API's build): the
 * progress and the RUN steps' output to `out` (none when quiet), `built` told the ID before the
 * closing lines (dockerd's `aux` message). Resolves to the image ID.
 */
export async function buildImage(
  ctx: CliContext,
  source: BuildSource,
  options: Omit<BuildOptions, 'dockerfile' | 'context' | 'ignore'>,
  out: NodeJS.WritableStream | undefined,
  built: (id: string) => void = () => undefined,
): Promise<string> {
  for (const tag of options.tags) ImageReference.parse(tag);
  const backend = await KokerBuildBackend.create(ctx, out);
  try {
    const context = await openBuildContext(source.path, source.file, backend.workDir, ctx.log, source.stdin);
    try {
      const builder = new ImageBuilder(backend, progressTo(out, options.tags, built), ctx.log);
      return await builder.build({
        ...options,
        dockerfile: context.dockerfile,
        context: context.source,
        ...(context.ignore ? { ignore: context.ignore } : {}),
      });
    } finally {
      context.source.close();
    }
  } finally {
    await backend.dispose();
  }
}
