import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type ContainerRecord,
  type ImageReference,
  NotFoundError,
  Resources,
  StateError,
  Storage,
} from '@koker/core';
import { applyChanges, type RunConfig } from '@koker/builder';
import { upperDirectory, upperLayerEntries, writeLayerBlob } from '@koker/fs-overlay';
import { deriveImageConfig, storeNewImage, type CommittedImage } from '@koker/image-store';
import { RUNTIME_MOUNT_TARGETS } from './container-changes.js';
import { type CliContext } from '../context.js';
import { lifecycleOf } from './lifecycle.js';

export interface CommitOptions {
  readonly author?: string;
  readonly message?: string;
  /** `--change` instructions, applied after the container's own config. */
  readonly changes?: readonly string[];
  /** Freeze a running container while its files are read (Docker's default). */
  readonly pause: boolean;
  readonly tags?: readonly ImageReference[];
  /** The config to write instead of the container's (a build step); `changes` still apply. */
  readonly config?: RunConfig;
  /** The history entry's `created_by` (default: the container's command line). */
  readonly createdBy?: string;
  /** More paths made only as mount targets (a build step's mounts): left out unless the image has them. */
  readonly mountTargets?: readonly string[];
}

/** Variables the runtime adds to every process: not the image's unless it had them. */
const RUNTIME_ENV = ['HOSTNAME', 'TERM'];

/**
 * The container's run config as Docker's commit takes it: the image's config with the
 * container's Env, Entrypoint, Cmd, WorkingDir, User and Labels.
 */
function containerConfig(image: RunConfig, record: ContainerRecord): RunConfig {
  const imageKeys = new Set((image.Env ?? []).map((e) => e.split('=')[0]));
  return {
    ...image,
    Env: record.env.filter((e) => {
      const key = e.split('=')[0] as string;
      return !RUNTIME_ENV.includes(key) || imageKeys.has(key);
    }),
    Entrypoint: record.entrypoint.length > 0 ? [...record.entrypoint] : null,
    Cmd: record.command.length > 0 ? [...record.command] : null,
    // The launcher's default cwd '/' is not a WorkingDir of the image's.
    ...(record.workingDir !== undefined && (record.workingDir !== '/' || image.WorkingDir !== undefined)
      ? { WorkingDir: record.workingDir }
      : {}),
    ...(record.user !== undefined ? { User: record.user } : {}),
    ...(record.labels && Object.keys(record.labels).length > 0 ? { Labels: { ...record.labels } } : {}),
  };
}

/**
 * `commit`: the container's upper directory as a new layer over its image (an OCI gzip layer,
 * whiteouts in the OCI form), a config derived from the image's with a history entry, stored
 * and tagged. A running container is frozen (cgroup freezer) while its files are read, unless
 * `pause` is false or it is paused already.
 */
export async function commitContainer(
  ctx: CliContext,
  record: ContainerRecord,
  options: CommitOptions,
): Promise<CommittedImage> {
  const upper = upperDirectory(ctx.config.root, record.id);
  if (!upper || !record.spec) {
    throw new StateError(`the changes of container ${record.name} are not known`, {
      hint: "koker commit reads the overlay storage driver's upper layer; the copy driver keeps none",
    });
  }
  const parent = await ctx.images.find(record.image.id);
  if (!parent)
    throw new NotFoundError(
      `the image of container ${record.name} (${record.image.id}) is no longer stored`,
      {
        hint: 'pull or load it again',
      },
    );
  const store = ctx.images;
  await store.prepare();
  const parentBytes = Buffer.from(await store.configBlob(parent));
  const imageConfig = ((JSON.parse(parentBytes.toString('utf8')) as { config?: RunConfig }).config ??
    {}) as RunConfig;
  const config = applyChanges(options.config ?? containerConfig(imageConfig, record), options.changes ?? []);
  const running = (await lifecycleOf(ctx).observe(record)).running;
  const resources = running && options.pause ? await ctx.driver(Resources) : undefined;
  const freeze = resources !== undefined && !(await resources.paused(record.id));
  const work = await store.workDir();
  try {
    const blob = join(work, 'layer.tar.gz');
    if (freeze) {
      ctx.log.debug({ container: record.name }, 'Pause container for commit');
      await resources.pause(record.id);
    }
    let written;
    try {
      ctx.log.debug({ container: record.name, upper }, 'Write layer from upper directory');
      written = await writeLayerBlob(
        upperLayerEntries(upper, {
          lowers: record.spec.layerDirs,
          mountTargets: [...RUNTIME_MOUNT_TARGETS, ...(options.mountTargets ?? [])],
        }),
        blob,
      );
    } finally {
      if (freeze) {
        await resources.resume(record.id);
        ctx.log.debug({ container: record.name }, 'Resume container after commit');
      }
    }
    ctx.log.debug(
      { diffId: written.diffId, digest: written.digest, size: written.size, entries: written.entries },
      'Wrote layer',
    );
    const configBytes = deriveImageConfig(parentBytes, {
      config,
      diffId: written.diffId,
      history: {
        created_by: options.createdBy ?? [...record.entrypoint, ...record.command].join(' '),
        ...(options.message ? { comment: options.message } : {}),
      },
      created: new Date().toISOString(),
      ...(options.author ? { author: options.author } : {}),
    });
    return await storeNewImage(
      { store, storage: await ctx.driver(Storage), log: ctx.log },
      {
        parent,
        layer: { path: blob, diffId: written.diffId, digest: written.digest, size: written.size },
        configBytes,
        tags: options.tags ?? [],
      },
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
