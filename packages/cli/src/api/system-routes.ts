import { cpus, totalmem, hostname } from 'node:os';
import {
  MAX_API_VERSION,
  MIN_API_VERSION,
  type ApiRequest,
  type ApiResponse,
  type ApiRoute,
} from '@koker/api-server';
import { Network, Resources, Storage, type ContractKey } from '@koker/core';
import { versionDocument } from '../commands/system/version.js';
import { lifecycleOf } from '../containers/lifecycle.js';
import { VERSION } from '../version.js';
import { type ApiServices } from './api-services.js';

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
    Containers: records.length + api.created.all().length,
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

/** `_ping`, `version`, `info`. */
export function systemRoutes(api: ApiServices): ApiRoute[] {
  return [
    { method: 'GET', path: '/_ping', handler: ping },
    { method: 'GET', path: '/version', handler: version },
    { method: 'GET', path: '/info', handler: (q, r) => info(api, q, r) },
  ];
}
