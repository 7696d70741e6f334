import { cpus, totalmem, hostname } from 'node:os';
import {
  ApiError,
  MAX_API_VERSION,
  MIN_API_VERSION,
  queryFilters,
  type ApiRequest,
  type ApiResponse,
  type ApiRoute,
} from '@koker/api-server';
import { Network, Resources, Storage, type ContractKey } from '@koker/core';
import { directorySize, volumeUsers } from '@koker/engine';
import { EVENT_FILTERS, eventDocument, followEvents, parseEventTime } from '../commands/system/events.js';
import { registryHost } from '../commands/system/login.js';
import { versionDocument } from '../commands/system/version.js';
import { volumeView } from '../commands/volume/inspect.js';
import { parseFilters, filterFlagsOf } from '../filters/filter-args.js';
import { lifecycleOf } from '../containers/lifecycle.js';
import { VERSION } from '../version.js';
import { type ApiServices } from './api-services.js';
import { routeBinder } from './route-binder.js';

const PING_HEADERS = {
  'Builder-Version': '1',
  'Cache-Control': 'no-cache, no-store, must-revalidate',
  Pragma: 'no-cache',
};

function ping(_request: ApiRequest, response: ApiResponse): void {
  // GET answers `OK` as text; HEAD the same headers without it.
  const out = response.stream(200, 'text/plain; charset=utf-8', { ...PING_HEADERS, 'Content-Length': '2' });
  out.end(_request.method === 'HEAD' ? undefined : 'OK');
}

function version(_request: ApiRequest, response: ApiResponse): void {
  const server = versionDocument().Server;
  response.json(200, {
    Platform: { Name: 'koker' },
    Components: [
      {
        Name: 'Engine',
        Version: VERSION,
        Details: {
          ApiVersion: MAX_API_VERSION,
          MinAPIVersion: MIN_API_VERSION,
          Os: server.Os,
          Arch: server.Arch,
        },
      },
    ],
    Version: VERSION,
    ApiVersion: MAX_API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: '',
    GoVersion: `node${process.versions.node}`,
    Os: server.Os,
    Arch: server.Arch,
    KernelVersion: server.KernelVersion,
    BuildTime: '',
  });
}

async function info(api: ApiServices, _request: ApiRequest, response: ApiResponse): Promise<void> {
  const { ctx } = api;
  const { records } = await ctx.state.list();
  const lifecycle = lifecycleOf(ctx);
  let running = 0;
  for (const record of records) if ((await lifecycle.observe(record)).running) running += 1;
  const images = await ctx.images.list();
  const catalog = await ctx.catalog();
  const chosen = async (contract: ContractKey<unknown>) =>
    (
      await catalog
        .select(contract, { host: ctx.host, config: ctx.config }, ctx.config.drivers[contract.id])
        .catch(() => undefined)
    )?.chosen.name ?? '';
  const layout = ctx.host.cgroupLayout;
  const server = versionDocument().Server;
  response.json(200, {
    ID: '',
    Containers: records.length,
    ContainersRunning: running,
    ContainersPaused: 0,
    ContainersStopped: records.length - running,
    Images: images.length,
    Driver: await chosen(Storage),
    DriverStatus: [],
    Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Log: ['json-file', 'local'] },
    MemoryLimit: true,
    SwapLimit: true,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: true,
    PidsLimit: true,
    OomKillDisable: false,
    IPv4Forwarding: true,
    Debug: ctx.globals.debug === true,
    NFd: 0,
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: 'json-file',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: layout.mode === 'unified' ? '2' : '1',
    KokerResourceDriver: await chosen(Resources),
    KokerNetworkDriver: await chosen(Network),
    NEventsListener: 0,
    KernelVersion: server.KernelVersion,
    OperatingSystem: 'linux',
    OSType: 'linux',
    Architecture: server.Arch,
    NCPU: cpus().length,
    MemTotal: totalmem(),
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: { IndexConfigs: {}, InsecureRegistryCIDRs: ['127.0.0.0/8'] },
    DockerRootDir: ctx.config.root,
    Name: hostname(),
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: VERSION,
    Runtimes: { koker: { path: 'koker-init' } },
    DefaultRuntime: 'koker',
    Swarm: { LocalNodeState: 'inactive' },
    LiveRestoreEnabled: true,
    Isolation: '',
    InitBinary: 'koker-init',
    SecurityOptions: ['name=seccomp,profile=builtin'],
    Warnings: [],
  });
}

/** `GET /events`: the journal streamed as JSON messages (since/until/filters as `koker events`). */
async function events(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const filters = parseFilters(filterFlagsOf(queryFilters(request.query)), EVENT_FILTERS);
  const sinceText = request.query.get('since');
  const untilText = request.query.get('until');
  const since = sinceText ? parseEventTime(sinceText) : undefined;
  const until = untilText ? parseEventTime(untilText) : undefined;
  const out = response.stream(200, 'application/json');
  const stop = new AbortController();
  out.on('close', () => stop.abort());
  await followEvents(
    api.ctx,
    { filters, ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}) },
    (event) => void out.write(`${JSON.stringify(eventDocument(event))}\n`),
    stop.signal,
  );
  out.end();
}

/** `GET /system/df`: images, containers and volumes with their sizes, as dockerd lists them. */
async function df(api: ApiServices, _request: ApiRequest, response: ApiResponse): Promise<void> {
  const { ctx } = api;
  const images = await ctx.images.list();
  const { records } = await ctx.state.list();
  const lifecycle = lifecycleOf(ctx);
  const containers = [];
  for (const record of records) {
    const seen = await lifecycle.observe(record);
    containers.push({
      Id: record.id,
      Names: [`/${record.name}`],
      Image: record.image.reference,
      ImageID: record.image.id,
      Command: [...record.entrypoint, ...record.command].join(' '),
      Created: Math.floor(Date.parse(record.created) / 1000),
      State: seen.status,
      Status: seen.status,
      SizeRw: 0,
      SizeRootFs: 0,
      Labels: record.labels ?? {},
      Mounts: [],
    });
  }
  const users = await volumeUsers(ctx.state);
  const volumes = [];
  for (const driver of await ctx.volumeDrivers().all())
    for (const volume of await driver.list())
      volumes.push({
        ...volumeView(volume),
        UsageData: {
          Size: await directorySize(volume.mountpoint).catch(() => -1),
          RefCount: (users.get(volume.name) ?? []).length,
        },
      });
  response.json(200, {
    LayersSize: images.reduce((sum, image) => sum + image.size, 0),
    Images: images.map((image) => ({
      Id: image.id,
      ParentId: '',
      RepoTags: image.repoTags,
      RepoDigests: image.repoDigests,
      Created: image.created ? Math.floor(Date.parse(image.created) / 1000) : 0,
      Size: image.size,
      SharedSize: -1,
      VirtualSize: image.size,
      Labels: image.config.Labels ?? {},
      Containers: records.filter((r) => r.image.id === image.id).length,
    })),
    Containers: containers,
    Volumes: volumes,
    BuildCache: [],
  });
}

/** `POST /auth`: the credentials checked against the registry (the client keeps them, as with dockerd). */
async function auth(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const body = await request.json<{ username?: string; password?: string; serveraddress?: string }>();
  if (!body.username || !body.password)
    throw new ApiError(400, 'a user name and a password are needed to log in');
  const registry = registryHost(body.serveraddress || undefined);
  const { OciRegistrySource } = await import('@koker/registry-oci');
  const source = new OciRegistrySource(
    {
      mirrors: [],
      insecure: api.ctx.config.registry.insecure,
      timeouts: api.ctx.config.registry.timeouts,
      log: api.ctx.log,
    },
    { host: registry, credentials: { username: body.username, secret: body.password } },
  );
  try {
    await source.checkLogin(registry);
  } catch (error) {
    throw new ApiError(
      401,
      `login to ${registry} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    await source.close();
  }
  response.json(200, { Status: 'Login Succeeded', IdentityToken: '' });
}

/** `_ping`, `version`, `info`, `events`, `system/df`, `auth`. */
export function systemRoutes(api: ApiServices): ApiRoute[] {
  const route = routeBinder(api);
  return [
    route('GET', '/_ping', (_api, q, r) => ping(q, r)),
    route('GET', '/version', (_api, q, r) => version(q, r)),
    route('GET', '/info', info),
    route('GET', '/events', events),
    route('GET', '/system/df', df),
    route('POST', '/auth', auth),
  ];
}
