import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { ApiError, queryFlag, type ApiRequest, type ApiResponse, type ApiRoute } from '@koker/api-server';
import { ImageReference, NotFoundError } from '@koker/core';
import { buildImage } from '../builds/build-image.js';
import { gitContextOf } from '../builds/git-context.js';
import { pushImages, targetsOf } from '../commands/image/push.js';
import { commitContainer } from '../containers/commit-container.js';
import { emitContainerEvent } from '../containers/container-events.js';
import { lifecycleOf } from '../containers/lifecycle.js';
import { isUrl } from '../downloads/http-download.js';
import { type ApiServices } from './api-services.js';
import { JsonProgress, JsonPushProgress } from './json-progress.js';
import { routeBinder } from './route-binder.js';

/** A JSON object of strings from a query parameter (`buildargs`, `labels`). */
function queryObject(request: ApiRequest, name: string): Record<string, string> {
  const raw = request.query.get(name);
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ApiError(400, `invalid ${name}: ${raw}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ApiError(400, `invalid ${name}: ${raw}`);
  // A null build arg means "from the daemon's environment" in dockerd: none here.
  return Object.fromEntries(
    Object.entries(parsed as Record<string, unknown>)
      .filter(([, value]) => value !== null)
      .map(([key, value]) => [key, String(value)]),
  );
}

/** Text written as dockerd's `{"stream": ...}` lines (a character split across writes kept whole). */
function streamLines(progress: JsonProgress): Writable {
  const decoder = new StringDecoder('utf8');
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
      if (text) progress.write({ stream: text });
      done();
    },
  });
}

/** A failure after the status was sent: dockerd's error message in the stream. */
function streamError(progress: JsonProgress, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  progress.write({ errorDetail: { message }, error: message });
}

/**
 * `POST /build`: the body is the context (a tar, or a Dockerfile alone), or `remote` names it (a
 * Git repository, a URL of either), built by @koker/builder.
 */
async function build(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const { query } = request;
  // `remote`: the context is a Git repository or an http(s) URL the service fetches, not the body.
  const remote = query.get('remote') || undefined;
  if (remote && !gitContextOf(remote) && !isUrl(remote))
    throw new ApiError(400, `remote context (${remote}) is neither a Git repository nor a URL`);
  const tags = query.getAll('t').filter(Boolean);
  for (const tag of tags) ImageReference.parse(tag);
  const quiet = queryFlag(query, 'q');
  const network = query.get('networkmode');
  const target = query.get('target');
  const options = {
    buildArgs: new Map(Object.entries(queryObject(request, 'buildargs'))),
    labels: queryObject(request, 'labels'),
    ...(target ? { target } : {}),
    noCache: queryFlag(query, 'nocache'),
    pull: queryFlag(query, 'pull'),
    ...(network && network !== 'default' ? { network } : {}),
    tags,
  };
  const out = response.stream(200, 'application/json');
  const progress = new JsonProgress(out);
  const lines = quiet ? undefined : streamLines(progress);
  try {
    const id = await buildImage(
      api.ctx,
      remote
        ? { path: remote, file: query.get('dockerfile') || undefined }
        : { path: '-', file: query.get('dockerfile') || undefined, stdin: request.body() },
      options,
      lines,
      (built) => progress.write({ aux: { ID: built } }),
    );
    if (quiet) progress.write({ stream: `${id}\n` });
    api.ctx.log.info({ image: id, tags }, 'Build image');
  } catch (error) {
    streamError(progress, error);
  }
  out.end();
}

/** `POST /commit?container=&repo=&tag=`: a new image from a container's changes, as `koker commit`. */
async function commit(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const { query } = request;
  const container = query.get('container');
  if (!container) throw new ApiError(400, 'give the container to commit: container=');
  const repo = query.get('repo');
  const tag = query.get('tag');
  const tags = repo ? [ImageReference.parse(tag ? `${repo}:${tag}` : repo)] : [];
  const id = await api.ctx.state.resolve(container).catch((error: unknown) => {
    if (error instanceof NotFoundError) throw new ApiError(404, `No such container: ${container}`);
    throw error;
  });
  const record = await lifecycleOf(api.ctx).settle(id);
  if (!record) throw new ApiError(404, `No such container: ${container}`);
  const comment = query.get('comment') || undefined;
  const author = query.get('author') || undefined;
  const committed = await commitContainer(api.ctx, record, {
    pause: queryFlag(query, 'pause', true),
    tags,
    changes: query.getAll('changes').filter(Boolean),
    ...(author !== undefined ? { author } : {}),
    ...(comment !== undefined ? { message: comment } : {}),
  });
  await emitContainerEvent(api.ctx, record, 'commit', {
    attributes: { comment: comment ?? '', imageID: committed.id },
  });
  response.json(201, { Id: committed.id });
}

/** X-Registry-Auth: base64url JSON of the client's login for the registry, or nothing to add. */
function registryAuth(request: ApiRequest): { username: string; secret: string } | undefined {
  const header = request.headers['x-registry-auth'];
  const raw = Array.isArray(header) ? header[0] : header;
  if (!raw) return undefined;
  let auth: { username?: unknown; password?: unknown };
  try {
    auth = JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as typeof auth;
  } catch {
    throw new ApiError(400, 'X-Registry-Auth is not base64-encoded JSON');
  }
  return typeof auth.username === 'string' && auth.username && typeof auth.password === 'string'
    ? { username: auth.username, secret: auth.password }
    : undefined;
}

/** `POST /images/{name}/push?tag=`: a push with its progress streamed as dockerd's JSON lines. */
async function push(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const name = request.params.name ?? '';
  const tag = request.query.get('tag');
  const credentials = registryAuth(request);
  // Without a tag, every local tag of the repository, as dockerd.
  const targets = await targetsOf(api.ctx, tag ? `${name}:${tag}` : name, { allTags: !tag });
  for (const target of targets)
    if (!(await api.ctx.images.find(target)))
      throw new ApiError(404, `An image does not exist locally with the tag: ${target.familiarName}`);
  const out = response.stream(200, 'application/json');
  const progress = new JsonProgress(out);
  try {
    await pushImages(
      api.ctx,
      targets,
      {
        display: () => new JsonPushProgress(progress),
        repository: (repository) =>
          progress.write({ status: `The push refers to repository [${repository}]` }),
        pushed: (target, digest, size) => {
          const pushedTag = target.tag ?? 'latest';
          progress.write({ status: `${pushedTag}: digest: ${digest} size: ${size}` });
          progress.write({ progressDetail: {}, aux: { Tag: pushedTag, Digest: digest, Size: size } });
        },
      },
      credentials ? { credentials } : {},
    );
    api.ctx.log.info({ image: name, tags: targets.map((t) => t.tag) }, 'Push image');
  } catch (error) {
    streamError(progress, error);
  }
  out.end();
}

/** build, commit and push: images made from a context or a container, and sent to a registry. */
export function imageBuildRoutes(api: ApiServices): ApiRoute[] {
  const route = routeBinder(api);
  return [
    route('POST', '/build', build),
    route('POST', '/commit', commit),
    route('POST', '/images/{name*}/push', push),
  ];
}
