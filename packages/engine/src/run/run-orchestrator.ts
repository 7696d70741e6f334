import {
  type ImageRecord,
  type ExitStatus,
  type LaunchedProcess,
  type LaunchOptions,
  type Launcher,
  type NetworkDriver,
  type ResourceDriver,
  type HeldLock,
  type StateStore,
  type StorageDriver,
  newContainerId,
  shortContainerId,
  type ContainerId,
  type ContainerSpec,
  exitCodeOf,
  exitCodeOfStatus,
  type Logger,
} from '@koker/core';
import { processRequest } from '../launch/process-spec.js';
import { crashPoint } from './crash-point.js';
import { prepareContainer, runningRecord } from './prepare-container.js';
import { ResourceScope } from './resource-scope.js';
import { procHost, type RunHost } from './run-host.js';
import { type RunRequest } from './run-request.js';
import { SignalGuard } from './signal-guard.js';

export interface RunDrivers {
  readonly storage: StorageDriver;
  readonly resources: ResourceDriver;
  readonly network: NetworkDriver;
  readonly launcher: Launcher;
  readonly state: StateStore;
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

/**
 * One attached container run: the record (locked) first, then the rootfs, the cgroups and the
 * network in that order, the process launched and awaited, and everything released in reverse
 * order whatever happens (the command's failure, an error, SIGINT, SIGTERM).
 */
export class RunOrchestrator {
  constructor(
    private readonly drivers: RunDrivers,
    private readonly log: Logger,
    private readonly host: RunHost = procHost,
  ) {}

  async run(
    request: RunRequest,
    image: RunImage,
    options: { detach?: DetachOptions } = {},
  ): Promise<RunOutcome> {
    const detach = options.detach;
    const { resources, launcher, state } = this.drivers;
    const id = newContainerId();
    const container = shortContainerId(id);
    const log = this.log.child({ container });
    const hostname = request.hostname ?? container;
    // Everything the flags and the image decide is checked before anything is made.
    const processReq = processRequest(image.record.config, {
      ...request.process,
      hostname,
      // Only --privileged and --cap-add can ask for more than Docker's defaults.
      ...(request.process.privileged || (request.process.capAdd ?? []).length > 0
        ? { availableCapabilities: this.host.capabilities() }
        : {}),
    });
    await resources.validate(request.limits);

    const guard = new SignalGuard();
    const scope = new ResourceScope(log);
    const checkpoint = () => guard.signal.throwIfAborted();
    let lock: HeldLock | undefined;
    let keeper: HeldLock | undefined;
    let recorded = false;
    let handedOver = false;
    let outcome: RunOutcome | undefined;
    let failure: unknown;
    try {
      const created = await state.createLocked({
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
        created: new Date().toISOString(),
        status: 'created',
        network: { mode: request.network.mode, ports: request.network.ports },
        limits: request.limits,
        autoRemove: request.autoRemove,
        detached: detach !== undefined,
        ...(image.record.config.StopSignal ? { stopSignal: image.record.config.StopSignal } : {}),
      });
      lock = created.lock;
      recorded = true;
      crashPoint('run:recorded');
      const spec: ContainerSpec = {
        id,
        name: created.record.name,
        hostname,
        image: { reference: image.reference, id: image.record.id },
        layerDirs: image.layerDirs,
        readOnlyRootfs: request.readOnlyRootfs,
        limits: request.limits,
        network: { ...request.network, hostname, name: created.record.name },
        process: processReq,
        privileged: request.process.privileged ?? false,
        init: request.init,
        autoRemove: request.autoRemove,
      };
      await state.update(id, (record) => ({ ...record, spec }));
      checkpoint();

      const { plan, process, attachment } = await prepareContainer(spec, {
        drivers: this.drivers,
        scope,
        checkpoint,
        log,
        host: this.host,
      });
      if (detach) {
        // The monitor holds the keeper lock before it starts the launcher, and outlives us.
        checkpoint();
        log.info({ command: process.args[0] }, 'Execute command');
        const at = new Date().toISOString();
        const launched = await launcher.start(plan, { ...detach(id), detached: true });
        crashPoint('run:launched');
        await state.update(id, (record) => runningRecord(record, { pid: launched.pid, at, attachment }));
        // Handed over: what the container holds is now its monitor's cleanup's to release.
        handedOver = true;
        crashPoint('run:running');
        outcome = { id, detached: true, status: { code: 0 }, exitCode: 0, oomKilled: false };
        return outcome;
      }
      keeper = await state.holdKeeper(id);
      checkpoint();
      log.info({ command: process.args[0] }, 'Execute command');
      const at = new Date().toISOString();
      const launched = await launcher.start(plan);
      crashPoint('run:launched');
      guard.forwardTo((signal) => launched.kill(signal));
      // A signal that came while the process was starting: it was meant to stop the run.
      if (guard.signal.aborted) launched.kill('SIGKILL');
      if (process.terminal) forwardResizes(launched, scope);
      await state.update(id, (record) => runningRecord(record, { pid: launched.pid, at, attachment }));
      lock.release();
      lock = undefined;
      crashPoint('run:running');

      const status = await launched.wait();
      const exitCode = exitCodeOfStatus(status);
      // Asked before the cgroups go: afterwards nothing can tell.
      const oomKilled = await resources.oomKilled(id).catch(() => false);
      log.debug({ exitCode, oomKilled }, 'Container exited');
      outcome = { id, status, exitCode, oomKilled };
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      guard.dispose();
      if (handedOver) {
        lock?.release();
        lock = undefined;
        recorded = false;
      }
      if (recorded && lock === undefined) {
        // It ran. Its end is recorded while the keeper is still held (so it never looks crashed),
        // then the keeper goes before the container lock is taken: `koker rm -f` holds that lock
        // while it waits for the keeper.
        await this.recordEnd(id, outcome, failure);
        keeper?.release();
        keeper = undefined;
        lock = await state.lockContainer(id).catch(() => undefined);
      }
      if (!handedOver) await scope.close();
      if (recorded) {
        if (outcome === undefined) await this.recordEnd(id, outcome, failure);
        if (request.autoRemove) {
          await state
            .remove(id)
            .catch((error: unknown) => log.warn({ err: error }, 'Could not remove the container record'));
        }
      }
      keeper?.release();
      lock?.release();
    }
    return outcome as RunOutcome;
  }

  /** The record says how the container ended (or why it never ran). */
  private async recordEnd(id: ContainerId, outcome: RunOutcome | undefined, failure: unknown): Promise<void> {
    await this.drivers.state
      .update(id, (record) => {
        const { pid: _pid, ...rest } = record;
        return {
          ...rest,
          status: 'exited',
          exitCode: outcome ? outcome.exitCode : exitCodeOf(failure),
          finished: new Date().toISOString(),
          oomKilled: outcome?.oomKilled ?? false,
          ...(outcome || failure === undefined
            ? {}
            : { reason: failure instanceof Error ? failure.message : String(failure) }),
        };
      })
      .catch((error: unknown) => this.log.warn({ err: error }, 'Could not record the end of the container'));
  }
}

/** With -t: the user's terminal resizes reach the container's (koker-init copies the size). */
function forwardResizes(launched: LaunchedProcess, scope: ResourceScope): void {
  const onResize = () => launched.kill('SIGWINCH');
  process.on('SIGWINCH', onResize);
  scope.defer('resize forwarding', async () => void process.off('SIGWINCH', onResize));
}
