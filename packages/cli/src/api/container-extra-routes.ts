import { type Stats } from 'node:fs';
import { type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApiError,
  queryFilters,
  queryFlag,
  type ApiRequest,
  type ApiResponse,
  type ApiRoute,
} from '@koker/api-server';
import { NotFoundError } from '@koker/core';
import { parseRestartPolicy } from '@koker/engine';
import {
  bytePath,
  copyFromTar,
  copyToTar,
  inContainer,
  lstatIn,
  textPath,
  type ChangeKind,
  type CopyEnd,
} from '@koker/fs-overlay';
import { containerProcesses } from '../commands/container/top.js';
import { containerChanges } from '../containers/container-changes.js';
import { withContainerRoot } from '../containers/container-root.js';
import { exportContainer } from '../containers/export-container.js';
import { pruneStoppedContainers } from '../containers/prune-containers.js';
import { updateContainer } from '../containers/update-container.js';
import { parsePruneFilters } from '../filters/prune-filters.js';
import { limitsFromFlags } from '../run/limits-from-flags.js';
import { pauseContainer, unpauseContainer } from '../containers/pause-container.js';
import { renameContainer } from '../containers/rename-container.js';
import { runningContainer } from '../containers/running-container.js';
import { type ApiServices } from './api-services.js';
import { limitFlagsFromHostConfig } from './create-body.js';
import { filterFlagsOf } from '../filters/filter-args.js';
import { routeBinder } from './route-binder.js';
import { StatsSampler } from './container-stats.js';

async function top(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const args = (request.query.get('ps_args') || '-ef').split(/\s+/).filter(Boolean);
  const { titles, rows } = await containerProcesses(api.ctx, request.params.id ?? '', args);
  response.json(200, { Titles: titles, Processes: rows });
}

async function stats(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const record = await runningContainer(api.ctx, request.params.id ?? '');
  const sampler = new StatsSampler(api.ctx, record);
  const stream = queryFlag(request.query, 'stream', true);
  const oneShot = queryFlag(request.query, 'one-shot');
  if (!stream) {
    // dockerd's single answer carries two samples a second apart (for the CPU %), unless one-shot.
    if (!oneShot) {
      await sampler.sample();
      await sleep(1000);
    }
    response.json(200, await sampler.sample());
    return;
  }
  const out = response.stream(200, 'application/json');
  let open = true;
  out.on('close', () => (open = false));
  while (open) {
    out.write(`${JSON.stringify(await sampler.sample().catch(() => undefined))}\n`);
    await sleep(1000);
    if (
      !(await api.ctx.state.get(record.id).then(
        () => true,
        () => false,
      ))
    )
      break;
  }
  out.end();
}

async function pause(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  await pauseContainer(api.ctx, request.params.id ?? '');
  response.empty(204);
}

async function unpause(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  await unpauseContainer(api.ctx, request.params.id ?? '');
  response.empty(204);
}

async function rename(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const name = request.query.get('name');
  if (!name) throw new ApiError(400, 'name is required');
  await renameContainer(api.ctx, request.params.id ?? '', name);
  response.empty(204);
}

// Go's os.FileMode bits Docker's CLI reads in the path stat.
const GO_MODE_DIR = 0x80000000;
const GO_MODE_SYMLINK = 0x08000000;

/** X-Docker-Container-Path-Stat: base64 of {name, size, mode, mtime, linkTarget}. */
function pathStatHeader(path: string, stat: Stats): string {
  const type = stat.isDirectory() ? GO_MODE_DIR : stat.isSymbolicLink() ? GO_MODE_SYMLINK : 0;
  const doc = {
    name: path.split('/').filter(Boolean).pop() ?? '/',
    size: stat.size,
    mode: (stat.mode & 0o777) + type,
    mtime: stat.mtime.toISOString(),
    linkTarget: '',
  };
  return Buffer.from(JSON.stringify(doc)).toString('base64');
}

function archivePath(request: ApiRequest): string {
  const path = request.query.get('path');
  if (!path) throw new ApiError(400, 'path is required');
  return path;
}

async function archiveHead(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const ref = request.params.id ?? '';
  const path = archivePath(request);
  const header = await withContainerRoot(api.ctx, ref, 'live', async (root) => {
    const stat = lstatIn(inContainer(root.fd), bytePath(path), false);
    if (!stat) throw new ApiError(404, `Could not find the file ${path} in container ${ref}`);
    return pathStatHeader(path, stat);
  });
  response.empty(200, { 'X-Docker-Container-Path-Stat': header });
}

async function archiveGet(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const ref = request.params.id ?? '';
  const path = archivePath(request);
  await withContainerRoot(api.ctx, ref, 'live', async (root) => {
    const stat = lstatIn(inContainer(root.fd), bytePath(path), false);
    if (!stat) throw new ApiError(404, `Could not find the file ${path} in container ${ref}`);
    const source: CopyEnd = {
      base: inContainer(root.fd),
      path: bytePath(path),
      notFound: (missing) => new NotFoundError(`Could not find the file ${missing} in container ${ref}`),
    };
    const out = response.stream(200, 'application/x-tar', {
      'X-Docker-Container-Path-Stat': pathStatHeader(path, stat),
    });
    await copyToTar(source, out, {
      followLink: false,
      devices: true,
      xattrs: 'archive',
      log: api.ctx.log,
      owner: { keep: true },
    });
    out.end();
  });
}

async function archivePut(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const ref = request.params.id ?? '';
  const path = archivePath(request);
  await withContainerRoot(api.ctx, ref, 'live', async (root) => {
    const destination: CopyEnd = {
      base: inContainer(root.fd),
      path: bytePath(path),
      notFound: (missing) => new NotFoundError(`Could not find the file ${missing} in container ${ref}`),
    };
    const stat = lstatIn(inContainer(root.fd), bytePath(path), true);
    if (!stat) throw new ApiError(404, `Could not find the file ${path} in container ${ref}`);
    if (!stat.isDirectory()) throw new ApiError(400, `extraction point is not a directory: ${path}`);
    // The archive holds the entries to put in the directory (Docker's CLI names them already).
    const copyUIDGID = queryFlag(request.query, 'copyUIDGID');
    await copyFromTar(
      request.body() as Readable,
      destination,
      {
        followLink: false,
        devices: copyUIDGID,
        xattrs: copyUIDGID ? 'archive' : 'capabilities',
        log: api.ctx.log,
        owner: copyUIDGID ? { keep: true } : { keep: false, uid: 0, gid: 0 },
      },
      `${ref}:${path}`,
    );
  });
  response.empty(200);
}

const CHANGE_KIND: Record<ChangeKind, number> = { C: 0, A: 1, D: 2 };

async function changes(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const found = await containerChanges(api.ctx, request.params.id ?? '');
  response.json(
    200,
    found.map((change) => ({ Path: textPath(change.path), Kind: CHANGE_KIND[change.kind] })),
  );
}

async function exportRoute(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const out = { stream: undefined as NodeJS.WritableStream | undefined };
  await exportContainer(api.ctx, request.params.id ?? '', () => {
    out.stream = response.stream(200, 'application/x-tar');
    return out.stream;
  });
  out.stream?.end();
}

async function update(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const body = await request.json<Record<string, unknown>>();
  const limits = limitsFromFlags(limitFlagsFromHostConfig(body));
  const policy = body.RestartPolicy as { Name?: string; MaximumRetryCount?: number } | undefined;
  const restartPolicy = policy?.Name
    ? parseRestartPolicy(
        policy.MaximumRetryCount ? `${policy.Name}:${policy.MaximumRetryCount}` : policy.Name,
      )
    : undefined;
  await updateContainer(api.ctx, request.params.id ?? '', { limits, restartPolicy });
  response.json(200, { Warnings: [] });
}

async function prune(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const { accepts } = parsePruneFilters(filterFlagsOf(queryFilters(request.query)));
  const report = await pruneStoppedContainers(api.ctx, (record) =>
    accepts({ created: record.created, labels: record.labels }),
  );
  for (const id of report.removed) api.starts.removed(id);
  if (report.failed.length > 0)
    throw new ApiError(
      500,
      `could not remove ${report.failed.length} container(s): ${report.failed.map((f) => `${f.id.slice(0, 12)}: ${f.error}`).join('; ')}`,
    );
  // The upper layers are gone with their containers; koker does not count them.
  response.json(200, { ContainersDeleted: report.removed, SpaceReclaimed: 0 });
}

/** top, stats, pause/unpause, rename, the archive endpoints of `cp`, changes, export, update, prune. */
export function containerExtraRoutes(api: ApiServices): ApiRoute[] {
  const route = routeBinder(api);
  return [
    route('GET', '/containers/{id}/top', top),
    route('GET', '/containers/{id}/stats', stats),
    route('POST', '/containers/{id}/pause', pause),
    route('POST', '/containers/{id}/unpause', unpause),
    route('POST', '/containers/{id}/rename', rename),
    route('HEAD', '/containers/{id}/archive', archiveHead),
    route('GET', '/containers/{id}/archive', archiveGet),
    route('PUT', '/containers/{id}/archive', archivePut),
    route('GET', '/containers/{id}/changes', changes),
    route('GET', '/containers/{id}/export', exportRoute),
    route('POST', '/containers/{id}/update', update),
    route('POST', '/containers/prune', prune),
  ];
}
