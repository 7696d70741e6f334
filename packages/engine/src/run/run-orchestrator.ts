import {
  type ImageRecord,
  type ExitStatus,
  type HeldLock,
  type LaunchedProcess,
  type LaunchOptions,
  type Launcher,
  type NetworkDriver,
  type ResourceDriver,
  type StateStore,
  type StorageDriver,
  newContainerId,
  shortContainerId,
  type ContainerId,
  type ContainerSpec,
  exitCodeOfStatus,
  type Logger,
  type ProcessRequest,
  NotFoundError,
  type HealthcheckConfig,
  traced,
} from '@koker/core';
import { processRequest } from '../launch/process-spec.js';
import { healthcheckConfig, healthcheckDisabled } from '../lifecycle/health.js';
import { crashPoint, pausePoint } from './crash-point.js';
import { type PreparedContainer, prepareContainer, runningRecord } from './prepare-container.js';
import { ResourceScope } from './resource-scope.js';
import { procHost, type RunHost } from './run-host.js';
import { type RunEnding, RunRecord } from './run-record.js';
import { type RunRequest } from './run-request.js';
import { SignalGuard } from './signal-guard.js';
import { resolveMounts, type ResolvedMounts } from '../volumes/resolve-mounts.js';
import { lockVolumes } from '../volumes/volume-locks.js';
import { type VolumeDrivers } from '../volumes/volume-drivers.js';
import { removeAnonymousVolumes } from '../volumes/volume-usage.js';

export interface RunDrivers {
  readonly storage: StorageDriver;
  readonly resources: ResourceDriver;
  readonly network: NetworkDriver;
  readonly launcher: Launcher;
  readonly state: StateStore;
  /** The volume drivers by name: needed for -v NAME, anonymous volumes and the image's VOLUMEs. */
  readonly volumes?: VolumeDrivers;
}

/** The image to run, already in the store. */
export interface RunImage {
  /** As the user wrote it. */
  readonly reference: string;
  readonly record: ImageRecord;
  /** Its layer directories, topmost first. */
  readonly layerDirs: readonly string[];
}

/** `run -d`: how the container's monitor wraps the launcher (its argv prefix and own stdio). */
export type DetachOptions = (id: ContainerId) => Pick<LaunchOptions, 'wrapper' | 'stdio'>;

export interface RunOptions {
  /** `run -d`: the monitor takes the container. */
  readonly detach?: DetachOptions;
  /** The container's ID, when the caller gave it one already (the API's create, then start). */
  readonly id?: ContainerId;
  /** Called once the record exists (`--cidfile`). */
  readonly onCreated?: (id: ContainerId) => void;
  /** Attached: the container's stdio (`-a`); default koker's own. */
  readonly stdio?: LaunchOptions['stdio'];
  /** Attached: forward koker's signals to the container (`--sig-proxy`, default true); false: ignore them. */
  readonly sigProxy?: boolean;
}

export interface RunOutcome {
  readonly id: ContainerId;
  /** Started detached: its monitor waits on it and cleans up after it. */
  readonly detached?: boolean;
  readonly status: ExitStatus;
  /** What `koker run` exits with: the container's code, or 128 + its signal. */
  readonly exitCode: number;
  /** The memory limit killed a process of the container. */
  readonly oomKilled: boolean;
}

/** One run as its steps share it. */
interface Run {
  readonly id: ContainerId;
  readonly log: Logger;
  readonly hostname: string;
  readonly request: RunRequest;
  readonly image: RunImage;
  readonly guard: SignalGuard;
  /** What the steps made, released in reverse order however the run ends. */
  readonly teardown: ResourceScope;
  /** Throws when a signal asked to stop the setup. */
  readonly checkpoint: () => void;
  /** `koker create`: only the record (and its volumes), left for a later `start`. */
  readonly createOnly: boolean;
  /** How it ended, for the teardown to record; set when the process exits or a step fails. */
  ending: RunEnding;
  /** The named volumes it takes, locked until its container has started on them. */
  volumeLock: HeldLock;
}

/**
 * One container run, in steps: the record (locked) first, then the rootfs, the cgroups and the
 * network in that order, the process launched and awaited, and everything released in reverse
 * order whatever happens (the command's failure, an error, SIGINT, SIGTERM).
 */
export class RunOrchestrator {
  constructor(
    private readonly drivers: RunDrivers,
    private readonly log: Logger,
    private readonly host: RunHost = procHost,
  ) {}

  async run(request: RunRequest, image: RunImage, options: RunOptions = {}): Promise<RunOutcome> {
    const id = options.id ?? newContainerId();
    const container = shortContainerId(id);
    const log = this.log.child({ container });
    const hostname = request.hostname ?? container;
    // Everything the flags and the image decide is checked before anything is made.
    const processReq = this.processRequest(request, image, hostname);
    await this.drivers.resources.validate(request.limits);

    const guard = new SignalGuard();
    const run: Run = {
      id,
      log,
      hostname,
      request,
      image,
      guard,
      teardown: new ResourceScope(log),
      checkpoint: () => guard.signal.throwIfAborted(),
      createOnly: false,
      ending: { failure: undefined },
      volumeLock: { release: () => undefined },
    };
    try {
      const { record, spec } = await traced('record', () =>
        this.record(run, processReq, options.detach !== undefined),
      );
      options.onCreated?.(id);
      const prepared = await traced('prepare', () =>
        prepareContainer(spec, {
          drivers: this.drivers,
          scope: run.teardown,
          checkpoint: run.checkpoint,
          log,
          host: this.host,
        }),
      );
      if (options.detach) return await this.handOver(run, record, prepared, options.detach);
      const launched = await this.launch(run, record, prepared, options);
      return await this.wait(run, launched);
    } catch (error) {
      run.ending = { failure: error };
      throw error;
    } finally {
      guard.dispose();
      // In reverse: what the steps made, then the record (its end, --rm, its locks).
      await traced('release', () => run.teardown.close());
    }
  }

  /**
   * `koker create`: what `run` decides and records (the spec, the mounts, anonymous volumes made),
   * nothing else; the record stays `created`, unlocked, for `start` to set up and launch under a
   * monitor. A create that fails leaves no container, as Docker's.
   */
  async create(
    request: RunRequest,
    image: RunImage,
    options: Pick<RunOptions, 'onCreated'> = {},
  ): Promise<ContainerId> {
    const id = newContainerId();
    const container = shortContainerId(id);
    const log = this.log.child({ container });
    const hostname = request.hostname ?? container;
    const processReq = this.processRequest(request, image, hostname);
    await this.drivers.resources.validate(request.limits);
    const guard = new SignalGuard();
    const run: Run = {
      id,
      log,
      hostname,
      request,
      image,
      guard,
      teardown: new ResourceScope(log),
      checkpoint: () => guard.signal.throwIfAborted(),
      createOnly: true,
      ending: { failure: undefined },
      volumeLock: { release: () => undefined },
    };
    try {
      const { record } = await traced('record', () => this.record(run, processReq, true));
      options.onCreated?.(id);
      await this.drivers.state.update(id, (current) => ({ ...current, awaitingStart: true }));
      run.checkpoint();
      record.awaitingStart();
      log.debug({ name: (await this.drivers.state.get(id)).name }, 'Container created');
      return id;
    } catch (error) {
      run.ending = { failure: error };
      throw error;
    } finally {
      guard.dispose();
      await traced('release', () => run.teardown.close());
    }
  }

  private processRequest(request: RunRequest, image: RunImage, hostname: string): ProcessRequest {
    return processRequest(image.record.config, {
      ...request.process,
      hostname,
      // Only --privileged and --cap-add can ask for more than Docker's defaults.
      ...(request.process.privileged || (request.process.capAdd ?? []).length > 0
        ? { availableCapabilities: this.host.capabilities() }
        : {}),
    });
  }

  /** The record, created locked, then the spec it keeps for `start`; its teardown comes last. */
  private async record(
    run: Run,
    processReq: ProcessRequest,
    detached: boolean,
  ): Promise<{ record: RunRecord; spec: ContainerSpec }> {
    const { id, hostname, request, image } = run;
    const created = new Date().toISOString();
    const { record, name } = await RunRecord.create(
      this.drivers.state,
      {
        id,
        ...(request.name ? { name: request.name } : {}),
        image: { reference: image.reference, id: image.record.id },
        entrypoint: processReq.entrypoint,
        command: processReq.command,
        env: processReq.env,
        hostname,
        workingDir: processReq.cwd,
        ...(processReq.user ? { user: processReq.user } : {}),
        tty: processReq.terminal,
        interactive: processReq.stdin,
        created,
        status: 'created',
        network: { mode: request.network.mode, ports: request.network.ports },
        limits: request.limits,
        autoRemove: request.autoRemove,
        detached,
        ...stopSettings(request, image),
        ...labelsOf(request, image),
        ...(request.restartPolicy && request.restartPolicy.name !== 'no'
          ? { restartPolicy: request.restartPolicy, restartCount: 0 }
          : {}),
      },
      run.log,
    );
    // Its anonymous volumes go with a --rm container, once its record is gone.
    let mounts: ContainerSpec['mounts'] = [];
    run.teardown.defer('record', async () => {
      // A failed `create` leaves nothing behind; a created one stays for `start`, --rm or not.
      const remove = request.autoRemove || (run.createOnly && 'failure' in run.ending);
      const removed = await record.close(run.ending, remove);
      if (removed && this.drivers.volumes)
        await removeAnonymousVolumes(
          { id, spec: { mounts } as ContainerSpec },
          { volumes: this.drivers.volumes, state: this.drivers.state, log: run.log },
        );
    });
    crashPoint('run:recorded');
    // Held until the container started (filled, recorded as the volumes' user), or the run failed.
    const named = (request.mounts ?? []).flatMap((m) => (m.type === 'volume' && m.name ? [m.name] : []));
    run.volumeLock = await lockVolumes(this.drivers.volumes, named);
    run.teardown.defer('volume locks', async () => run.volumeLock.release());
    const resolved = await this.mounts(run, created);
    mounts = resolved.mounts;
    await pausePoint('run:mounts');
    const spec: ContainerSpec = {
      id,
      name,
      hostname,
      ...(request.domainname !== undefined ? { domainname: request.domainname } : {}),
      image: { reference: image.reference, id: image.record.id },
      layerDirs: image.layerDirs,
      readOnlyRootfs: request.readOnlyRootfs,
      limits: request.limits,
      network: { ...request.network, hostname, name },
      process: processReq,
      privileged: request.process.privileged ?? false,
      ...(request.devices?.length ? { devices: request.devices } : {}),
      ...(request.deviceCgroupRules?.length ? { deviceCgroupRules: request.deviceCgroupRules } : {}),
      init: request.init,
      ...(mounts.length > 0 ? { mounts } : {}),
      autoRemove: request.autoRemove,
      ...(request.shmSize !== undefined ? { shmSize: request.shmSize } : {}),
      ...(request.sysctls && Object.keys(request.sysctls).length > 0 ? { sysctls: request.sysctls } : {}),
      ...(request.oomScoreAdj !== undefined ? { oomScoreAdj: request.oomScoreAdj } : {}),
      ...(request.namespaces && Object.keys(request.namespaces).length > 0
        ? { namespaces: request.namespaces }
        : {}),
      ...healthOf(request, image),
    };
    await this.drivers.state.update(id, (current) => ({
      ...current,
      spec,
      ...(resolved.records.length > 0 ? { mounts: resolved.records } : {}),
    }));
    run.checkpoint();
    return { record, spec };
  }

  /** The mounts decided: bind sources looked at, volumes found or created (anonymous ones too). */
  private async mounts(run: Run, createdAt: string): Promise<ResolvedMounts> {
    const { request, image } = run;
    const imageVolumes = Object.keys(image.record.config.Volumes ?? {});
    if (!request.mounts?.length && !request.volumesFrom?.length && imageVolumes.length === 0)
      return { mounts: [], records: [] };
    return resolveMounts({
      requests: request.mounts ?? [],
      volumesFrom: request.volumesFrom ?? [],
      imageVolumes,
      findContainer: (name) => this.drivers.state.find(name),
      volumes: this.drivers.volumes ?? {
        driver: async (name) => {
          throw new NotFoundError(`no volume driver named ${name}`);
        },
        all: async () => [],
      },
      log: run.log,
      createdAt,
    });
  }

  /** `run -d`: the monitor holds the keeper lock before it starts the launcher, and outlives us. */
  private async handOver(
    run: Run,
    record: RunRecord,
    { plan, process, attachment }: PreparedContainer,
    detach: DetachOptions,
  ): Promise<RunOutcome> {
    const { id } = run;
    run.checkpoint();
    run.log.info({ command: process.args[0] }, 'Execute command');
    const at = new Date().toISOString();
    const launched = await traced('launch', () =>
      this.drivers.launcher.start(plan, { ...detach(id), detached: true }),
    );
    run.volumeLock.release();
    crashPoint('run:launched');
    await this.drivers.state.update(id, (current) =>
      runningRecord(current, { pid: launched.pid, at, attachment }),
    );
    // What the container holds is its monitor's cleanup's to release now.
    run.teardown.handOver();
    record.handedOver();
    crashPoint('run:running');
    return { id, detached: true, status: { code: 0 }, exitCode: 0, oomKilled: false };
  }

  /** The attached process started under the keeper; signals go to it from then on. */
  private async launch(
    run: Run,
    record: RunRecord,
    { plan, process, attachment }: PreparedContainer,
    options: RunOptions,
  ): Promise<LaunchedProcess> {
    const { id, guard } = run;
    await record.holdKeeper();
    run.checkpoint();
    run.log.info({ command: process.args[0] }, 'Execute command');
    const at = new Date().toISOString();
    const launched = await traced('launch', () =>
      this.drivers.launcher.start(plan, options.stdio ? { stdio: options.stdio } : {}),
    );
    run.volumeLock.release();
    crashPoint('run:launched');
    // --sig-proxy=false: koker's signals are not the container's (stop it with koker stop).
    guard.forwardTo(options.sigProxy === false ? () => undefined : (signal) => launched.kill(signal));
    // A signal that came while the process was starting: it was meant to stop the run.
    if (guard.signal.aborted) launched.kill('SIGKILL');
    if (process.terminal) forwardResizes(launched, run.teardown);
    await this.drivers.state.update(id, (current) =>
      runningRecord(current, { pid: launched.pid, at, attachment }),
    );
    record.running();
    // First of the teardown once it ran: its end recorded, the keeper given back for the lock.
    run.teardown.defer('end of run', () => record.ran(run.ending));
    crashPoint('run:running');
    return launched;
  }

  /** Its exit, and whether the memory limit killed it: asked before the cgroups go. */
  private async wait(run: Run, launched: LaunchedProcess): Promise<RunOutcome> {
    const status = await launched.wait();
    const exitCode = exitCodeOfStatus(status);
    const oomKilled = await this.drivers.resources.oomKilled(run.id).catch(() => false);
    run.log.debug({ exitCode, oomKilled }, 'Container exited');
    run.ending = { exitCode, oomKilled };
    return { id: run.id, status, exitCode, oomKilled };
  }
}

/** The health check, from `--health-*` over the image's HEALTHCHECK. */
function healthOf(
  request: RunRequest,
  image: RunImage,
): { healthcheck?: HealthcheckConfig; healthcheckDisabled?: boolean } {
  const flags = request.health ?? {};
  if (healthcheckDisabled(image.record.config.Healthcheck, flags)) return { healthcheckDisabled: true };
  const healthcheck = healthcheckConfig(image.record.config.Healthcheck, flags);
  return healthcheck ? { healthcheck } : {};
}

/** `--stop-signal` over the image's StopSignal, and `--stop-timeout`. */
function stopSettings(request: RunRequest, image: RunImage): { stopSignal?: string; stopTimeout?: number } {
  const stopSignal = request.stopSignal ?? image.record.config.StopSignal;
  return {
    ...(stopSignal ? { stopSignal } : {}),
    ...(request.stopTimeout !== undefined ? { stopTimeout: request.stopTimeout } : {}),
  };
}

/** Config.Labels: the image's, then `--label-file`/`--label` (later wins), as Docker merges them. */
function labelsOf(request: RunRequest, image: RunImage): { labels?: Record<string, string> } {
  const labels = { ...(image.record.config.Labels ?? {}), ...(request.labels ?? {}) };
  return Object.keys(labels).length > 0 ? { labels } : {};
}

/** With -t: the user's terminal resizes reach the container's (koker-init copies the size). */
function forwardResizes(launched: LaunchedProcess, scope: ResourceScope): void {
  const onResize = () => launched.kill('SIGWINCH');
  process.on('SIGWINCH', onResize);
  scope.defer('resize forwarding', async () => void process.off('SIGWINCH', onResize));
}
