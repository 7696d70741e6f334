import {
  ApiError,
  queryFilters,
  queryFlag,
  type ApiRequest,
  type ApiResponse,
  type ApiRoute,
} from '@koker/api-server';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ImageReference, NotFoundError, Storage } from '@koker/core';
import { loadArchive, saveArchive, silentProgress } from '@koker/image-store';
import { imagesInUse } from '../commands/image/in-use.js';
import { pruneImages } from '../commands/image/prune-images.js';
import { pullWithProgress } from '../commands/image/pull.js';
import { tagImage } from '../commands/image/tag.js';
import { booleanFilter, filterFlagsOf } from '../filters/filter-args.js';
import { parsePruneFilters } from '../filters/prune-filters.js';
import { imageHistory } from '../inspect/image-history.js';
import { inspectImage } from '../inspect/image-document.js';
import { type ApiServices } from './api-services.js';
import { routeBinder } from './route-binder.js';
import { JsonProgress } from './json-progress.js';

const seconds = (iso: string | undefined) => (iso ? Math.floor(Date.parse(iso) / 1000) : 0);

async function list(api: ApiServices, _request: ApiRequest, response: ApiResponse): Promise<void> {
  const images = await api.ctx.images.list();
  const inUse = await imagesInUse(api.ctx).catch(() => new Set<string>());
  response.json(
    200,
    images.map((image) => ({
      Id: image.id,
      ParentId: '',
      RepoTags: image.repoTags,
      RepoDigests: image.repoDigests,
      Created: seconds(image.created),
      Size: image.size,
      SharedSize: -1,
      VirtualSize: image.size,
      Labels: image.config.Labels ?? {},
      Containers: (inUse as Set<string>).has(image.id) ? 1 : 0,
    })),
  );
}

/** `POST /images/create?fromImage=&tag=`: a pull, its progress streamed as dockerd's JSON lines. */
async function create(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const from = request.query.get('fromImage');
  if (!from)
    throw new ApiError(
      400,
      'only pulls are served: give fromImage (fromSrc, an import, is not supported yet)',
    );
  const tag = request.query.get('tag');
  const name = tag ? (tag.startsWith('sha256:') ? `${from}@${tag}` : `${from}:${tag}`) : from;
  const reference = ImageReference.parse(name);
  const platform = request.query.get('platform') || undefined;
  const out = response.stream(200, 'application/json');
  const progress = new JsonProgress(out);
  try {
    const result = await pullWithProgress(api.ctx, reference, {
      ...(platform ? { platform } : {}),
      progress,
    });
    progress.write({ status: `Digest: ${result.digest}` });
    progress.write({
      status: `Status: ${result.upToDate ? 'Image is up to date for' : 'Downloaded newer image for'} ${reference.toFamiliarString()}`,
    });
    api.ctx.log.info({ image: reference.toString() }, 'Pull image');
  } catch (error) {
    // The status is sent already: dockerd reports a failed pull as an error message in the stream.
    const message = error instanceof Error ? error.message : String(error);
    progress.write({ errorDetail: { message }, error: message });
  }
  out.end();
}

async function findImage(api: ApiServices, name: string) {
  const image = await api.ctx.images.find(name).catch(() => undefined);
  if (!image) throw new ApiError(404, `No such image: ${name}`);
  return image;
}

async function inspect(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const image = await findImage(api, request.params.name ?? '');
  response.json(200, await inspectImage(api.ctx, image));
}

async function remove(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const name = request.params.name ?? '';
  await findImage(api, name);
  const inUse = await imagesInUse(api.ctx);
  try {
    const report = await api.ctx.images.remove(name, { force: queryFlag(request.query, 'force'), inUse });
    response.json(200, [
      ...report.untagged.map((tag) => ({ Untagged: tag })),
      ...report.deleted.map((id) => ({ Deleted: id })),
      ...report.deletedLayers.map((layer) => ({ Deleted: String(layer) })),
    ]);
  } catch (error) {
    if (error instanceof NotFoundError) throw new ApiError(404, `No such image: ${name}`);
    throw error;
  }
}

/** `docker save`: one archive of the images named (`names=` repeated, or the path's). */
async function save(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const names = request.params.name ? [request.params.name] : request.query.getAll('names');
  if (names.length === 0) throw new ApiError(400, 'no image named: give names=');
  for (const name of names) await findImage(api, name);
  const out = response.stream(200, 'application/x-tar');
  await saveArchive(api.ctx.images, names, out, api.ctx.log);
  out.end();
}

/** `docker load`: the archive spooled (its manifest may come last), then loaded as `koker load` does. */
async function load(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const store = api.ctx.images;
  await store.prepare();
  const spooled = await store.workDir();
  try {
    const archive = join(spooled, 'archive.tar');
    await pipeline(request.body() as Readable, createWriteStream(archive));
    const loaded = await loadArchive(
      { store, storage: await api.ctx.driver(Storage), log: api.ctx.log },
      archive,
      {
        progress: silentProgress,
      },
    );
    const out = response.stream(200, 'application/json');
    for (const image of loaded) {
      if (image.tags.length === 0)
        out.write(`${JSON.stringify({ stream: `Loaded image ID: ${image.id}\n` })}\n`);
      for (const tag of image.tags) out.write(`${JSON.stringify({ stream: `Loaded image: ${tag}\n` })}\n`);
    }
    out.end();
  } finally {
    await rm(spooled, { recursive: true, force: true });
  }
}

async function history(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const name = request.params.name ?? '';
  await findImage(api, name);
  const steps = await imageHistory(api.ctx, name);
  response.json(
    200,
    steps.map((step) => ({
      Id: step.image?.id ?? '<missing>',
      Created: seconds(step.created),
      CreatedBy: step.createdBy,
      Tags: step.image && step.image.repoTags.length > 0 ? step.image.repoTags : null,
      Size: step.size,
      Comment: step.comment,
    })),
  );
}

async function tag(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const name = request.params.name ?? '';
  const repo = request.query.get('repo');
  if (!repo) throw new ApiError(400, 'repository name must have at least one component: give repo=');
  await findImage(api, name);
  const tagName = request.query.get('tag');
  await tagImage(api.ctx, name, tagName ? `${repo}:${tagName}` : repo);
  response.empty(201);
}

/** `dangling=false` is `image prune -a`; `until` and `label` narrow either. */
async function prune(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const { filters, accepts } = parsePruneFilters(filterFlagsOf(queryFilters(request.query)), ['dangling']);
  const dangling = filters.get('dangling') ?? [];
  const all = dangling.length > 0 && dangling.every((value) => !booleanFilter('dangling', value));
  const report = await pruneImages(api.ctx, { all, accepts });
  response.json(200, {
    ImagesDeleted: [
      ...report.untagged.map((untagged) => ({ Untagged: untagged })),
      ...report.deleted.map((id) => ({ Deleted: id })),
      ...report.deletedLayers.map((layer) => ({ Deleted: String(layer) })),
    ],
    SpaceReclaimed: report.reclaimed,
  });
}

/** The image endpoints, over the same store as koker's image commands. */
export function imageRoutes(api: ApiServices): ApiRoute[] {
  const route = routeBinder(api);
  return [
    route('GET', '/images/json', list),
    route('GET', '/images/get', save),
    route('POST', '/images/load', load),
    route('POST', '/images/create', create),
    route('GET', '/images/{name*}/json', inspect),
    route('GET', '/images/{name*}/get', save),
    route('POST', '/images/prune', prune),
    route('GET', '/images/{name*}/history', history),
    route('POST', '/images/{name*}/tag', tag),
    route('DELETE', '/images/{name*}', remove),
  ];
}
