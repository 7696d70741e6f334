import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApiError,
  queryFilters,
  queryFlag,
  queryInt,
  type ApiRequest,
  type ApiResponse,
  type ApiRoute,
} from '@koker/api-server';
import { NotFoundError, type ContainerId } from '@koker/core';
import {
  readLogConfig,
  parseLogTimeFlag,
  readContainerLog,
  signalNumber,
  type LogReadOptions,
} from '@koker/engine';
import { STREAM, streamFrame } from '@koker/api-server';
import { connectAttach } from '../containers/attach-client.js';
import { emitContainerEvent } from '../containers/container-events.js';
import { lifecycleOf } from '../containers/lifecycle.js';
import { listContainers } from '../containers/list-containers.js';
import { thawIfPaused } from '../containers/running-container.js';
import { startDetached } from '../containers/start-detached.js';
import { inspectDocument } from '../containers/inspect-view.js';
import { connectContainer } from '../networks/connect-container.js';
import { containerNetworks } from '../networks/container-networks.js';
import { resolveRunImage } from '../run/run-image.js';
import { createRecordedContainer } from '../run/run-container.js';
import { type ApiServices } from './api-services.js';
import { filterFlagsOf } from '../filters/filter-args.js';
import { routeBinder } from './route-binder.js';
import { createRequestFromBody, type CreateBody } from './create-body.js';
import { bridgeAttach } from './monitor-bridge.js';
import { containerSummary } from './container-documents.js';

const POLL_MS = 50;
/** How often a wait on a created container looks whether koker's own `start` ran it. */
const CREATED_POLL_MS = 250;

/** `{id}` as the store resolves it (full ID, prefix, name), with Docker's 404 wording. */
async function resolveStored(api: ApiServices, ref: string): Promise<ContainerId> {
  try {
    return await api.ctx.state.resolve(ref);
  } catch (error) {
    if (error instanceof NotFoundError) throw new ApiError(404, `No such container: ${ref}`);
    throw error;
  }
}

async function create(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const body = await request.json<CreateBody>();
  const name = request.query.get('name') || undefined;
  const create = createRequestFromBody(body, name);
  const { ctx } = api;
  // dockerd's create never pulls: its 404 tells the client to pull and create again.
  try {
    await resolveRunImage(ctx, create.image, { pull: 'never' });
  } catch (error) {
    if (error instanceof NotFoundError) throw new ApiError(404, `No such image: ${create.image}`);
    throw error;
  }
  const id = await createRecordedContainer(ctx, create.image, create.args, {
    ...create.flags,
    pull: 'never',
    ...(create.logDriver !== undefined ? { logDriver: create.logDriver } : {}),
    ...(create.logOpt !== undefined ? { logOpt: create.logOpt } : {}),
  });
  if (create.size) api.starts.sizeAtStart(id, create.size);
  ctx.log.info({ container: id.slice(0, 12), image: create.image }, 'Create container');
  response.json(201, { Id: id, Warnings: [] });
}

/** Whether the store holds it `Created`: made by a create, never started. */
async function isCreated(api: ApiServices, id: ContainerId): Promise<boolean> {
  const record = await api.ctx.state.get(id).catch(() => undefined);
  return record !== undefined && (await lifecycleOf(api.ctx).observe(record)).status === 'created';
}

/** Until a created container starts (through the API, or koker's own `start`) or goes. */
async function untilStarted(api: ApiServices, id: ContainerId): Promise<'started' | 'removed'> {
  const told = api.starts.onStart(id);
  for (;;) {
    const outcome = await Promise.race([told, sleep(CREATED_POLL_MS).then(() => undefined)]);
    if (outcome) return outcome;
    if (!(await isCreated(api, id)))
      return (await api.ctx.state.get(id).then(
        () => true,
        () => false,
      ))
        ? 'started'
        : 'removed';
  }
}

async function start(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const id = await resolveStored(api, request.params.id ?? '');
  const lifecycle = lifecycleOf(api.ctx);
  const record = await api.ctx.state.get(id);
  if ((await lifecycle.observe(record)).running) {
    response.empty(304);
    return;
  }
  // An attach waiting (Docker's CLI attaches before it starts): the monitor keeps the output for it.
  const attach = api.starts.attachWaiting(id)
    ? { interactive: record.interactive === true, size: api.starts.consoleSize(id) }
    : undefined;
  let started;
  try {
    started = await startDetached(api.ctx, id, lifecycle, {}, attach);
  } catch (error) {
    api.starts.removed(id);
    throw error;
  }
  for (const connect of api.starts.started(id, started.attach?.socket))
    await connectContainer(api.ctx, connect.network, id, {
      aliases: connect.aliases,
      ...(connect.ip ? { ip: connect.ip } : {}),
    });
  await emitContainerEvent(
    api.ctx,
    started.record,
    'start',
    started.record.started ? { at: started.record.started } : {},
  );
  api.ctx.log.info({ container: id.slice(0, 12) }, 'Start container');
  response.empty(204);
}

async function attach(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const { query } = request;
  const id = await resolveStored(api, request.params.id ?? '');
  const record = await api.ctx.state.get(id);
  const tty = record.tty === true;
  const mode = {
    tty,
    stdin: queryFlag(query, 'stdin') && record.interactive === true,
    stdout: queryFlag(query, 'stdout'),
    stderr: queryFlag(query, 'stderr'),
  };
  const contentType = tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream';
  if (await isCreated(api, id)) {
    const client = response.hijack(contentType);
    client.pause();
    const start = await api.starts.attachAtStart(id);
    if (!start) {
      client.end();
      return;
    }
    const monitor = await (start.socket ?? connectAttach(api.ctx.state.directory(id)));
    await bridgeAttach(id, client, monitor, mode, api.exits);
    return;
  }
  const monitor = await connectAttach(api.ctx.state.directory(id));
  await bridgeAttach(id, response.hijack(contentType), monitor, mode, api.exits);
}

type WaitCondition = 'not-running' | 'next-exit' | 'removed';

async function wait(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const condition = (request.query.get('condition') || 'not-running') as WaitCondition;
  if (!['not-running', 'next-exit', 'removed'].includes(condition))
    throw new ApiError(400, `invalid condition: "${condition}"`);
  const id = await resolveStored(api, request.params.id ?? '');
  // Docker's answer starts at once; the body comes when the condition is met.
  const out = response.stream(200, 'application/json');
  // With the status sent, a failure can only be told in the body, as dockerd's WaitResponse does
  // (StatusCode -1 and Error.Message): a connection cut mid-body leaves dockerode waiting forever.
  const answer = await waitFor(api, id, condition).then(
    (code) => ({ StatusCode: code, Error: null }),
    (error: unknown) => {
      api.ctx.log.warn({ err: error, container: id.slice(0, 12) }, 'Wait for container failed');
      return { StatusCode: -1, Error: { Message: (error as Error).message } };
    },
  );
  out.end(`${JSON.stringify(answer)}\n`);
}

async function waitFor(api: ApiServices, id: ContainerId, condition: WaitCondition): Promise<number> {
  if (!(await isCreated(api, id))) return await waitStored(api, id, condition);
  // A created container is not running yet: its first run's end is what is waited for.
  const outcome = await untilStarted(api, id);
  if (outcome === 'removed') return 0;
  // It has started: stopped from now on is its exit, even one too quick for a poll to see it run.
  return await waitStored(api, id, condition === 'not-running' ? 'next-exit' : condition, true);
}

/** Polls the record and its keeper's lock (exact, as `koker wait`), and takes the exit code a monitor reported. */
async function waitStored(
  api: ApiServices,
  id: ContainerId,
  condition: WaitCondition,
  started = false,
): Promise<number> {
  const { ctx, exits } = api;
  const lifecycle = lifecycleOf(ctx);
  // The monitor says how it ended, even when --rm takes the record before a poll sees it.
  const listener = connectAttach(ctx.state.directory(id)).then(
    (socket) => exits.listen(id, socket),
    () => undefined,
  );
  let lastCode: number | undefined;
  let sawRunning = started;
  try {
    for (;;) {
      const record = await ctx.state.get(id).catch((error: unknown) => {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      });
      if (!record) return exits.code(id) ?? lastCode ?? 0;
      const seen = await lifecycle.observe(record);
      if (seen.running) sawRunning = true;
      else {
        lastCode = exits.code(id) ?? seen.exitCode ?? lastCode;
        if (condition === 'not-running') return lastCode ?? 0;
        const ended = (sawRunning && seen.status !== 'created') || exits.code(id) !== undefined;
        if (condition === 'next-exit' && ended) return lastCode ?? 0;
      }
      await sleep(POLL_MS);
    }
  } finally {
    void listener;
  }
}

async function list(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const filters = filterFlagsOf(queryFilters(request.query));
  const all = queryFlag(request.query, 'all');
  const limit = queryInt(request.query, 'limit');
  const views = await listContainers(api.ctx, {
    all,
    filters,
    ...(limit !== undefined && limit > 0 ? { last: limit } : {}),
  });
  response.json(200, await Promise.all(views.map((view) => containerSummary(api.ctx, view))));
}

async function inspect(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const id = await resolveStored(api, request.params.id ?? '');
  const record = await api.ctx.state.get(id);
  const seen = await lifecycleOf(api.ctx).observe(record);
  const doc = inspectDocument(record, seen, await containerNetworks(api.ctx, record));
  // Clients read the log driver to know whether logs can be read back (compose does).
  const log = readLogConfig(api.ctx.state.directory(id));
  response.json(200, {
    ...doc,
    HostConfig: { ...doc.HostConfig, LogConfig: { Type: log.driver, Config: log.options } },
  });
}

async function logs(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const { query } = request;
  const id = await resolveStored(api, request.params.id ?? '');
  const record = await lifecycleOf(api.ctx).settle(id);
  if (!record) throw new ApiError(404, `No such container: ${request.params.id}`);
  const stdout = queryFlag(query, 'stdout');
  const stderr = queryFlag(query, 'stderr');
  if (!stdout && !stderr) throw new ApiError(400, 'Bad parameters: you must choose at least one stream');
  const tailText = query.get('tail');
  const tail = tailText && tailText !== 'all' ? Number(tailText) : undefined;
  const since = query.get('since');
  const until = query.get('until');
  const stop = new AbortController();
  const read: LogReadOptions = {
    ...(tail !== undefined && Number.isInteger(tail) && tail >= 0 ? { tail } : {}),
    ...(since && since !== '0' ? { since: parseLogTimeFlag('since', since) } : {}),
    ...(until && until !== '0' ? { until: parseLogTimeFlag('until', until) } : {}),
    ...(queryFlag(query, 'follow')
      ? { follow: { ended: () => !api.ctx.state.isKept(id), signal: stop.signal } }
      : {}),
  };
  const tty = record.tty === true;
  const out = response.stream(
    200,
    tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream',
  );
  out.on('close', () => stop.abort());
  const timestamps = queryFlag(query, 'timestamps');
  for await (const line of readContainerLog(api.ctx.state.directory(id), read)) {
    if (line.stream === 'stderr' ? !stderr : !stdout) continue;
    const text = Buffer.from(timestamps ? `${line.time} ${line.text}` : line.text);
    const chunk = tty ? text : streamFrame(line.stream === 'stderr' ? STREAM.stderr : STREAM.stdout, text);
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', resolve));
    if (stop.signal.aborted) break;
  }
  out.end();
}

async function stop(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const id = await resolveStored(api, request.params.id ?? '');
  const lifecycle = lifecycleOf(api.ctx);
  if (!(await lifecycle.observe(await api.ctx.state.get(id))).running) {
    response.empty(304);
    return;
  }
  await thawIfPaused(api.ctx, id);
  await lifecycle.stop(id, queryInt(request.query, 't'), stopSignal(request));
  response.empty(204);
}

/** `stop`'s and `restart`'s `signal` (API 1.42): instead of the container's stop signal. */
function stopSignal(request: ApiRequest): number | undefined {
  const signal = request.query.get('signal');
  return signal ? signalNumber(signal) : undefined;
}

async function kill(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const id = await resolveStored(api, request.params.id ?? '');
  const signal = signalNumber(request.query.get('signal') || 'SIGKILL');
  await lifecycleOf(api.ctx).kill(id, signal);
  response.empty(204);
}

async function restart(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const id = await resolveStored(api, request.params.id ?? '');
  const lifecycle = lifecycleOf(api.ctx);
  await thawIfPaused(api.ctx, id);
  await lifecycle.stop(id, queryInt(request.query, 't'), stopSignal(request));
  const started = await startDetached(api.ctx, id, lifecycle);
  await emitContainerEvent(api.ctx, started.record, 'restart');
  response.empty(204);
}

async function remove(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const id = await resolveStored(api, request.params.id ?? '');
  const force = queryFlag(request.query, 'force');
  const record = await api.ctx.state.get(id).catch(() => undefined);
  if (force) await thawIfPaused(api.ctx, id);
  await lifecycleOf(api.ctx).remove(id, { force, volumes: queryFlag(request.query, 'v') });
  api.starts.removed(id);
  if (record) await emitContainerEvent(api.ctx, record, 'destroy');
  response.empty(204);
}

async function resize(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const id = await resolveStored(api, request.params.id ?? '');
  const rows = queryInt(request.query, 'h') ?? 0;
  const columns = queryInt(request.query, 'w') ?? 0;
  // A container not running (created, exited) has no terminal to resize: accepted, as dockerd does.
  if (rows > 0 && columns > 0 && !api.exits.resize(id, rows, columns)) {
    const socket = await connectAttach(api.ctx.state.directory(id)).catch(() => undefined);
    if (socket) {
      api.exits.track(id, socket);
      api.exits.resize(id, rows, columns);
      socket.end();
    }
  }
  response.empty(200);
}

/** The container endpoints: the same functions as koker's container commands, over the same store. */
export function containerRoutes(api: ApiServices): ApiRoute[] {
  const route = routeBinder(api);
  return [
    route('POST', '/containers/create', create),
    route('GET', '/containers/json', list),
    route('GET', '/containers/{id}/json', inspect),
    route('POST', '/containers/{id}/start', start),
    route('POST', '/containers/{id}/attach', attach),
    route('POST', '/containers/{id}/wait', wait),
    route('GET', '/containers/{id}/logs', logs),
    route('POST', '/containers/{id}/stop', stop),
    route('POST', '/containers/{id}/kill', kill),
    route('POST', '/containers/{id}/restart', restart),
    route('POST', '/containers/{id}/resize', resize),
    route('DELETE', '/containers/{id}', remove),
  ];
}
