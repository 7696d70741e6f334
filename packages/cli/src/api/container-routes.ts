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
  parseLogConfig,
  readLogConfig,
  parseLogTimeFlag,
  readContainerLog,
  settleStaleContainers,
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
import { runOrchestrator, runRequestFor } from '../run/run-request-for.js';
import { startUnderMonitor } from '../run/start-under-monitor.js';
import { type ApiServices } from './api-services.js';
import { createRequestFromBody, type CreateBody } from './create-body.js';
import { type CreatedContainer } from './created-containers.js';
import { bridgeAttach } from './monitor-bridge.js';
import { containerSummary, createdInspect, createdSummary } from './container-documents.js';

const POLL_MS = 50;

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
  let image;
  try {
    image = await resolveRunImage(ctx, create.image, { pull: 'never' });
  } catch (error) {
    if (error instanceof NotFoundError) throw new ApiError(404, `No such image: ${create.image}`);
    throw error;
  }
  // Checked now, as `run` checks its flags before it makes anything.
  const run = await runRequestFor(ctx, create.image, create.args, create.flags);
  parseLogConfig(create.logDriver, create.logOpt ?? []);
  const created = await api.created.add(create, run, image, async (taken) =>
    ctx.state.find(taken).then(
      (record) => record.name === taken,
      () => false,
    ),
  );
  ctx.log.info({ container: created.id.slice(0, 12), image: create.image }, 'Create container');
  response.json(201, { Id: created.id, Warnings: [] });
}

/** The API's start of a created container: `run -d`, with the attach it was promised. */
async function startCreated(api: ApiServices, created: CreatedContainer): Promise<void> {
  const { ctx } = api;
  const orchestrator = await runOrchestrator(ctx);
  await settleStaleContainers(ctx.state, lifecycleOf(ctx), ctx.log);
  const attachNow = created.attachWaiters.length > 0;
  const interactive = created.run.process.interactive;
  const { id, attached } = await startUnderMonitor(ctx, orchestrator, created.run, created.image, {
    log: parseLogConfig(created.request.logDriver, created.request.logOpt ?? []),
    attachNow,
    size: created.request.size,
    stdin: interactive,
    id: created.id,
  });
  const waiters = created.attachWaiters.splice(0);
  waiters.forEach((waiter, index) => waiter(index === 0 ? attached : undefined, id));
  api.created.take(id, 'started');
  for (const connect of created.connects)
    await connectContainer(ctx, connect.network, id, {
      aliases: connect.aliases,
      ...(connect.ip ? { ip: connect.ip } : {}),
    });
  const record = await ctx.state.get(id).catch(() => undefined);
  if (record) {
    await emitContainerEvent(ctx, record, 'create', { at: record.created });
    await emitContainerEvent(ctx, record, 'start', record.started ? { at: record.started } : {});
  }
  ctx.log.info({ container: id.slice(0, 12) }, 'Start container');
}

async function start(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const ref = request.params.id ?? '';
  const created = api.created.find(ref);
  if (created) {
    await startCreated(api, created);
    response.empty(204);
    return;
  }
  const id = await resolveStored(api, ref);
  const lifecycle = lifecycleOf(api.ctx);
  const before = await lifecycle.observe(await api.ctx.state.get(id));
  if (before.running) {
    response.empty(304);
    return;
  }
  const started = await startDetached(api.ctx, id, lifecycle);
  await emitContainerEvent(
    api.ctx,
    started.record,
    'start',
    started.record.started ? { at: started.record.started } : {},
  );
  response.empty(204);
}

async function attach(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const ref = request.params.id ?? '';
  const { query } = request;
  const created = api.created.find(ref);
  let socket: Promise<import('node:net').Socket> | undefined;
  let id: ContainerId;
  let tty: boolean;
  let interactive: boolean;
  if (created) {
    tty = created.run.process.tty;
    interactive = created.run.process.interactive;
    const client = response.hijack(
      tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream',
    );
    client.pause();
    const started = await new Promise<{
      socket: Promise<import('node:net').Socket> | undefined;
      id: ContainerId | undefined;
    }>((resolve) => created.attachWaiters.push((s, started) => resolve({ socket: s, id: started })));
    if (!started.id) {
      client.end();
      return;
    }
    id = started.id;
    socket = started.socket ?? connectAttach(api.ctx.state.directory(id));
    await bridgeAttach(
      id,
      client,
      await socket,
      {
        tty,
        stdin: queryFlag(query, 'stdin') && interactive,
        stdout: queryFlag(query, 'stdout'),
        stderr: queryFlag(query, 'stderr'),
      },
      api.exits,
    );
    return;
  }
  id = await resolveStored(api, ref);
  const record = await api.ctx.state.get(id);
  tty = record.tty === true;
  interactive = record.interactive === true;
  const monitor = await connectAttach(api.ctx.state.directory(id));
  const client = response.hijack(
    tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream',
  );
  await bridgeAttach(
    id,
    client,
    monitor,
    {
      tty,
      stdin: queryFlag(query, 'stdin') && interactive,
      stdout: queryFlag(query, 'stdout'),
      stderr: queryFlag(query, 'stderr'),
    },
    api.exits,
  );
}

type WaitCondition = 'not-running' | 'next-exit' | 'removed';

async function wait(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const ref = request.params.id ?? '';
  const condition = (request.query.get('condition') || 'not-running') as WaitCondition;
  if (!['not-running', 'next-exit', 'removed'].includes(condition))
    throw new ApiError(400, `invalid condition: "${condition}"`);
  const created = api.created.find(ref);
  let id: ContainerId;
  // Docker's answer starts at once; the body comes when the condition is met.
  if (created) {
    id = created.id;
    const out = response.stream(200, 'application/json');
    const outcome = await new Promise<'started' | 'removed'>((resolve) => created.startWaiters.push(resolve));
    const code =
      outcome === 'removed'
        ? 0
        : await waitStored(api, id, condition === 'not-running' ? 'next-exit' : condition);
    out.end(`${JSON.stringify({ StatusCode: code, Error: null })}\n`);
    return;
  }
  id = await resolveStored(api, ref);
  const out = response.stream(200, 'application/json');
  const code = await waitStored(api, id, condition);
  out.end(`${JSON.stringify({ StatusCode: code, Error: null })}\n`);
}

/** Polls the record and its keeper's lock (exact, as `koker wait`), and takes the exit code a monitor reported. */
async function waitStored(api: ApiServices, id: ContainerId, condition: WaitCondition): Promise<number> {
  const { ctx, exits } = api;
  const lifecycle = lifecycleOf(ctx);
  // The monitor says how it ended, even when --rm takes the record before a poll sees it.
  const listener = connectAttach(ctx.state.directory(id)).then(
    (socket) => exits.listen(id, socket),
    () => undefined,
  );
  let lastCode: number | undefined;
  let sawRunning = false;
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
        if (condition === 'next-exit' && (sawRunning || exits.code(id) !== undefined)) return lastCode ?? 0;
      }
      await sleep(POLL_MS);
    }
  } finally {
    void listener;
  }
}

async function list(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const filters = Object.entries(queryFilters(request.query)).flatMap(([key, values]) =>
    values.map((value) => `${key}=${value}`),
  );
  const all = queryFlag(request.query, 'all');
  const limit = queryInt(request.query, 'limit');
  const views = await listContainers(api.ctx, {
    all,
    filters,
    ...(limit !== undefined && limit > 0 ? { last: limit } : {}),
  });
  const stored = await Promise.all(views.map((view) => containerSummary(api.ctx, view)));
  const pending = all ? api.created.all().map(createdSummary) : [];
  response.json(200, [...pending, ...stored]);
}

async function inspect(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const ref = request.params.id ?? '';
  const created = api.created.find(ref);
  if (created) {
    response.json(200, createdInspect(created));
    return;
  }
  const id = await resolveStored(api, ref);
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
  const ref = request.params.id ?? '';
  const created = api.created.find(ref);
  if (created) {
    api.created.take(created.id, 'removed');
    response.empty(204);
    return;
  }
  const id = await resolveStored(api, ref);
  const force = queryFlag(request.query, 'force');
  const record = await api.ctx.state.get(id).catch(() => undefined);
  if (force) await thawIfPaused(api.ctx, id);
  await lifecycleOf(api.ctx).remove(id, { force, volumes: queryFlag(request.query, 'v') });
  if (record) await emitContainerEvent(api.ctx, record, 'destroy');
  response.empty(204);
}

async function resize(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const ref = request.params.id ?? '';
  const rows = queryInt(request.query, 'h') ?? 0;
  const columns = queryInt(request.query, 'w') ?? 0;
  const created = api.created.find(ref);
  if (!created) {
    const id = await resolveStored(api, ref);
    if (rows > 0 && columns > 0 && !api.exits.resize(id, rows, columns)) {
      const socket = await connectAttach(api.ctx.state.directory(id)).catch(() => undefined);
      if (socket) {
        api.exits.track(id, socket);
        api.exits.resize(id, rows, columns);
        socket.end();
      }
    }
  }
  response.empty(200);
}

/** The container endpoints: the same functions as koker's container commands, over the same store. */
export function containerRoutes(api: ApiServices): ApiRoute[] {
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
