import {
  ApiError,
  queryFilters,
  queryFlag,
  type ApiRequest,
  type ApiResponse,
  type ApiRoute,
} from '@koker/api-server';
import { InvalidValueError, NotFoundError, isVolumeName } from '@koker/core';
import {
  DEFAULT_VOLUME_DRIVER,
  anonymousVolumeName,
  createVolume,
  findVolume,
  matchesVolumeFilters,
  parseVolumeFilters,
  pruneVolumes,
  removeVolume,
  volumeUsers,
} from '@koker/engine';
import { volumeView } from '../commands/volume/inspect.js';
import { type ApiServices } from './api-services.js';
import { booleanFilter, filterFlagsOf } from '../filters/filter-args.js';
import { parsePruneFilters } from '../filters/prune-filters.js';
import { routeBinder } from './route-binder.js';

const context = (api: ApiServices) => ({
  volumes: api.ctx.volumeDrivers(),
  state: api.ctx.state,
  log: api.ctx.log,
});

async function list(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const filters = parseVolumeFilters(filterFlagsOf(queryFilters(request.query)));
  const users = await volumeUsers(api.ctx.state);
  const volumes: Record<string, unknown>[] = [];
  for (const driver of await api.ctx.volumeDrivers().all())
    for (const volume of await driver.list())
      if (matchesVolumeFilters(volume, (users.get(volume.name) ?? []).length > 0, filters))
        volumes.push(volumeView(volume));
  response.json(200, { Volumes: volumes, Warnings: [] });
}

async function inspect(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const name = request.params.name ?? '';
  try {
    response.json(200, volumeView(await findVolume(name, api.ctx.volumeDrivers())));
  } catch (error) {
    if (error instanceof NotFoundError) throw new ApiError(404, `get ${name}: no such volume`);
    throw error;
  }
}

async function create(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const body = await request.json<{
    Name?: string;
    Driver?: string;
    DriverOpts?: Record<string, string> | null;
    Labels?: Record<string, string> | null;
  }>();
  const name = body.Name || anonymousVolumeName();
  if (!isVolumeName(name))
    throw new InvalidValueError(
      'volume name',
      name,
      'use [a-zA-Z0-9][a-zA-Z0-9_.-]+ (two characters or more)',
    );
  // Docker answers an existing volume of that name with the volume itself.
  const existing = await findVolume(name, api.ctx.volumeDrivers()).catch(() => undefined);
  if (existing) {
    response.json(201, volumeView(existing));
    return;
  }
  const volume = await createVolume(api.ctx.volumeDrivers(), body.Driver || DEFAULT_VOLUME_DRIVER, {
    name,
    labels: body.Labels ?? {},
    options: body.DriverOpts ?? {},
  });
  api.ctx.log.info({ volume: name }, 'Create volume');
  response.json(201, volumeView(volume));
}

async function remove(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const name = request.params.name ?? '';
  await findVolume(name, api.ctx.volumeDrivers()).catch((error: unknown) => {
    if (error instanceof NotFoundError) throw new ApiError(404, `get ${name}: no such volume`);
    throw error;
  });
  await removeVolume(
    name,
    { force: queryFlag(request.query, 'force') },
    context(api),
    await volumeUsers(api.ctx.state),
  );
  api.ctx.log.info({ volume: name }, 'Remove volume');
  response.empty(204);
}

/** dockerd's volume prune filters: `label`, `label!`, `all` (named volumes too), and `until`. */
async function prune(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const { filters, accepts } = parsePruneFilters(filterFlagsOf(queryFilters(request.query)), ['all']);
  const all = (filters.get('all') ?? []).some((value) => booleanFilter('all', value));
  const report = await pruneVolumes(
    { all, accept: (volume) => accepts({ created: volume.createdAt, labels: volume.labels }) },
    context(api),
  );
  response.json(200, { VolumesDeleted: report.deleted, SpaceReclaimed: report.reclaimed });
}

/** The volume endpoints, over the volume drivers, as `koker volume`. */
export function volumeRoutes(api: ApiServices): ApiRoute[] {
  const route = routeBinder(api);
  return [
    route('GET', '/volumes', list),
    route('POST', '/volumes/create', create),
    route('POST', '/volumes/prune', prune),
    route('GET', '/volumes/{name}', inspect),
    route('DELETE', '/volumes/{name}', remove),
  ];
}
