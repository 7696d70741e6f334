import { ApiError, queryFlag, type ApiRequest, type ApiResponse, type ApiRoute } from '@koker/api-server';
import { ImageReference, NotFoundError } from '@koker/core';
import { imagesInUse } from '../commands/image/in-use.js';
import { pullWithProgress } from '../commands/image/pull.js';
import { inspectImage } from '../inspect/image-document.js';
import { type ApiServices } from './api-services.js';
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

/** The image endpoints, over the same store as koker's image commands. */
export function imageRoutes(api: ApiServices): ApiRoute[] {
  const route = (
    method: string,
    path: string,
    handler: (api: ApiServices, q: ApiRequest, r: ApiResponse) => Promise<void>,
  ): ApiRoute => ({
    method,
    path,
    handler: (q, r) => handler(api, q, r),
  });
  return [
    route('GET', '/images/json', list),
    route('POST', '/images/create', create),
    route('GET', '/images/{name*}/json', inspect),
    route('DELETE', '/images/{name*}', remove),
  ];
}
