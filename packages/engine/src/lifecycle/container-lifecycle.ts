import { setTimeout as sleep } from 'node:timers/promises';
import {
  type ContainerRecord,
  type StateStore,
  shortContainerId,
  type ContainerId,
  ConflictError,
  NotFoundError,
  StateError,
  type Logger,
} from '@koker/core';
import { crashPoint } from '../run/crash-point.js';
import { readExitFile } from './exit-file.js';
import { HEALTH_STARTING, readHealthFile } from './health.js';
import { observeContainer, type ObservedContainer } from './observe-container.js';
import { signalNumber } from './signals.js';
import { teardownContainer, type TeardownDrivers, type TeardownOptions } from './teardown.js';
import { releaseShm } from '../run/shared-shm.js';
import { type VolumeDrivers } from '../volumes/volume-drivers.js';
import { removeAnonymousVolumes } from '../volumes/volume-usage.js';

export interface LifecycleOptions {
  readonly store: StateStore;
  /** Resolved only when something must be torn down: `ls` and friends never probe drivers. */
  readonly drivers: () => Promise<TeardownDrivers>;
  readonly log: Logger;
  /** Sends a signal to a host PID (tests record it instead). */
  readonly kill?: (pid: number, signal: number) => void;
  /** The volume drivers, for the anonymous volumes of `--rm` and `rm -v` containers. */
  readonly volumes?: () => Promise<VolumeDrivers>;
  /**
   * Called after settling a container whose keeper died without reporting its end (a killed
   * monitor): its restart policy is the caller's to apply, since no cleanup will.
   */
  readonly onKeeperLost?: (record: ContainerRecord) => void;
  /**
   * Docker's events of a container's end, from whichever process records it: `died` once a
   * running container's end is recorded (or `rm -f` killed it), `removed` once a `--rm` one is
   * gone with its anonymous volumes.
   */
  readonly onEnd?: {
    readonly died: (record: ContainerRecord, exitCode: number) => Promise<void> | void;
    readonly removed: (record: ContainerRecord) => Promise<void> | void;
  };
}

/** How long `rm -f` and a timed-out `stop` wait for a SIGKILLed container to be reaped. */
const KILL_GRACE_MS = 10_000;

/**
 * What happens to containers after `run`: settle (bring a record back to the truth after the
 * container ended or something crashed), stop, kill, remove. Every change to a container happens
 * under its container lock; reads take none.
 */
export class ContainerLifecycle {
  private readonly store: StateStore;
  private readonly log: Logger;
  private readonly sendSignal: (pid: number, signal: number) => void;

  constructor(private readonly options: LifecycleOptions) {
    this.store = options.store;
    this.log = options.log;
    this.sendSignal = options.kill ?? ((pid, signal) => process.kill(pid, signal));
  }

  /** The container's real state, without changing anything. */
  async observe(record: ContainerRecord): Promise<ObservedContainer> {
    const dir = this.store.directory(record.id);
    // Before its checker's first write, a check is starting.
    const health = record.spec?.healthcheck ? ((await readHealthFile(dir)) ?? HEALTH_STARTING) : undefined;
    // Only what its status can be told by (observeContainer): each probe is a file opened and
    // locked, and every run settles every container first.
    const kept = record.status === 'running' && this.store.isKept(record.id);
    const exit = record.status === 'running' && !kept ? await readExitFile(dir) : undefined;
    return observeContainer(record, {
      kept,
      locked: record.status === 'created' && this.store.isLocked(record.id),
      ...(exit ? { exit } : {}),
      ...(health ? { health } : {}),
    });
  }

  /**
   * Brings the record back to the truth when it is stale: tears down what the container held
   * and records how it ended (or removes it, for `--rm`). Returns the record, or undefined when
   * it no longer exists.
   */
  async settle(id: ContainerId): Promise<ContainerRecord | undefined> {
    let record: ContainerRecord;
    try {
      record = await this.store.get(id);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
    if (!(await this.observe(record)).stale) return record;
    const lock = await this.store.lockContainer(id);
    try {
      return await this.settleLocked(id);
    } finally {
      lock.release();
    }
  }

  /**
   * `settle` for a caller that holds the container lock. `exitReported`: the caller was told of
   * the container's exit by its monitor, which holds the keeper lock until that caller lets it go;
   * with the monitor's exit record on disk the container counts as ended already.
   * `removeLater`: an `--rm` container's files are moved aside, and the directories told to it,
   * for a process nobody waits for to remove (the monitor; the storage driver's sweep removes
   * what nobody did), so the caller's user does not wait for them to go.
   * `onOomKill`: told when the end settled now was an OOM kill (the record of an `--rm`
   * container, which would say so, is gone by the time this returns).
   */
  async settleLocked(
    id: ContainerId,
    options: {
      exitReported?: boolean;
      removeLater?: (aside: readonly string[]) => void;
      onOomKill?: (record: ContainerRecord) => void;
    } = {},
  ): Promise<ContainerRecord | undefined> {
    let record: ContainerRecord;
    try {
      record = await this.store.get(id);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
    const exit = await readExitFile(this.store.directory(id));
    // We hold the container lock: nobody else is setting it up.
    const seen = observeContainer(record, {
      kept: !(options.exitReported === true && exit !== undefined) && this.store.isKept(id),
      locked: false,
      ...(exit ? { exit } : {}),
    });
    if (!seen.stale) return record;
    const container = shortContainerId(id);
    // At debug: `logs` and `inspect` settle too, and their stderr is the container's.
    this.log.debug(
      { container, ...(seen.reason ? { reason: seen.reason } : { exitCode: seen.exitCode }) },
      'Clean up container',
    );
    const drivers = await this.options.drivers();
    const oomKilled =
      record.status === 'running' ? await drivers.resources.oomKilled(id).catch(() => false) : false;
    if (oomKilled) options.onOomKill?.(record);
    await this.teardown(id, drivers, {
      keepFiles: !record.autoRemove,
      ...(options.removeLater ? { removeLater: options.removeLater } : {}),
    });
    crashPoint('settle:torn-down');
    if (record.status === 'running')
      await this.options.onEnd?.died(record, seen.exitCode ?? record.exitCode ?? 0);
    if (record.autoRemove) {
      await this.store.remove(id);
      this.log.info({ container }, 'Remove container');
      await this.removeVolumes(record);
      await this.options.onEnd?.removed(record);
      return undefined;
    }
    const settled = await this.store.update(id, (current) => {
      const { pid: _pid, monitorPid: _monitorPid, ...rest } = current;
      return {
        ...rest,
        status: 'exited',
        exitCode: seen.exitCode ?? current.exitCode ?? 0,
        finished: seen.finished ?? new Date().toISOString(),
        oomKilled: oomKilled || current.oomKilled === true,
        ...(seen.reason !== undefined ? { reason: seen.reason } : {}),
      };
    });
    if (record.status === 'running' && record.detached && seen.reason !== undefined)
      this.options.onKeeperLost?.(settled);
    return settled;
  }

  /** Sends `signal` to a running container's first process. */
  async kill(id: ContainerId, signal: string | number): Promise<ContainerRecord> {
    const number = signalNumber(signal);
    const record = await this.settle(id);
    if (!record) throw new NotFoundError(`no such container: ${id}`);
    const seen = await this.observe(record);
    if (!seen.running || record.pid === undefined)
      throw new ConflictError(`container ${record.name} is not running`);
    this.log.debug({ container: shortContainerId(id), pid: record.pid, signal: number }, 'Send signal');
    // Docker's rule: a container killed by hand is not restarted by its policy.
    if (record.restartPolicy) await this.markStopped(id);
    this.signal(record.pid, number);
    return record;
  }

  /**
   * Docker's stop: the stop signal (`--stop-signal`, else the image's, else SIGTERM), then SIGKILL
   * after `timeoutSeconds` (`--stop-timeout`, else 10); returns once the container has ended and
   * been settled. Its restart policy ends too, also in the middle of a back-off.
   */
  async stop(
    id: ContainerId,
    timeoutSeconds?: number,
    /** `stop -s`: instead of the container's stop signal. */
    signal?: number,
  ): Promise<ContainerRecord | undefined> {
    let record = await this.settle(id);
    if (!record) return undefined;
    if (record.restartPolicy) {
      await this.markStopped(id);
      // A restart that was starting it finishes first: then its process is the one to stop.
      (await this.store.lockContainer(id)).release();
      record = await this.store.get(id);
    }
    if (timeoutSeconds === undefined) timeoutSeconds = record.stopTimeout ?? 10;
    if (!(await this.observe(record)).running || record.pid === undefined) return record;
    const container = shortContainerId(id);
    const first = signal ?? signalNumber(record.stopSignal ?? 'SIGTERM');
    this.log.info({ container, signal: first, timeout: timeoutSeconds }, 'Stop container');
    this.signal(record.pid, first);
    if (!(await this.waitForEnd(id, timeoutSeconds * 1000))) {
      this.log.info({ container }, 'Kill container after the stop timeout');
      this.signal(record.pid, signalNumber('SIGKILL'));
      if (!(await this.waitForEnd(id, KILL_GRACE_MS)))
        throw new StateError(`container ${record.name} did not end ${KILL_GRACE_MS / 1000} s after SIGKILL`);
    }
    return this.settle(id);
  }

  /**
   * Removes a container and everything it holds. A running one needs `force` (then it is killed
   * first); a broken record needs `force` too, and is then torn down by its ID alone.
   */
  async remove(id: ContainerId, options: { force: boolean; volumes?: boolean }): Promise<void> {
    const container = shortContainerId(id);
    const lock = await this.store.lockContainer(id).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    if (!lock) return;
    try {
      let record: ContainerRecord | undefined;
      try {
        record = await this.store.get(id);
      } catch (error) {
        if (error instanceof NotFoundError) return;
        if (!(error instanceof StateError) || !options.force) throw error;
        this.log.warn({ container, err: error }, 'Remove a container whose record is broken');
      }
      if (record && (await this.observe(record)).running) {
        if (!options.force) {
          throw new ConflictError(`cannot remove container "/${record.name}": container is running`, {
            hint: 'stop the container before removing it (koker stop), or force the removal: koker rm -f',
          });
        }
        if (record.pid !== undefined) {
          this.log.info({ container }, 'Kill container before removal');
          this.signal(record.pid, signalNumber('SIGKILL'));
          // Its monitor lets go once the process is reaped; its cleanup then waits for our lock.
          await this.waitForEnd(id, KILL_GRACE_MS);
          const exit = await readExitFile(this.store.directory(id));
          await this.options.onEnd?.died(record, exit?.exitCode ?? 128 + signalNumber('SIGKILL'));
        }
      }
      // Whatever the record said, release everything under this ID: repeating a teardown is safe.
      await this.teardown(id, await this.options.drivers());
      crashPoint('remove:torn-down');
      await this.store.remove(id);
      this.log.info({ container }, 'Remove container');
      if (options.volumes && record) await this.removeVolumes(record);
    } finally {
      lock.release();
    }
  }

  /** The container's anonymous volumes (`rm -v`, `--rm`), once its record is gone. */
  private async removeVolumes(record: ContainerRecord): Promise<void> {
    if (!this.options.volumes || !record.spec?.mounts?.some((m) => m.type === 'volume' && m.anonymous))
      return;
    await removeAnonymousVolumes(record, {
      volumes: await this.options.volumes(),
      state: this.store,
      log: this.log,
    });
  }

  /** Stopped by hand: no restart (a pending one is called off). */
  private markStopped(id: ContainerId): Promise<ContainerRecord> {
    return this.store.update(id, (current) => {
      const { restarting: _restarting, ...rest } = current;
      return { ...rest, manuallyStopped: true };
    });
  }

  private async teardown(
    id: ContainerId,
    drivers: TeardownDrivers,
    options: TeardownOptions = {},
  ): Promise<void> {
    const failures = await teardownContainer(id, drivers, this.log, options);
    try {
      releaseShm(this.store.directory(id), this.log);
    } catch (error) {
      failures.push({ name: 'shm', error });
    }
    if (failures.length > 0) {
      const detail = failures
        .map((f) => `${f.name}: ${f.error instanceof Error ? f.error.message : String(f.error)}`)
        .join('; ');
      throw new StateError(`could not release everything of container ${shortContainerId(id)}: ${detail}`, {
        hint: 'koker system prune tries again',
      });
    }
  }

  private signal(pid: number, signal: number): void {
    try {
      this.sendSignal(pid, signal);
    } catch (error) {
      // Gone already: its keeper is about to record the end.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }

  /** Waits for the keeper to let go (the container's process has ended and was recorded). */
  private async waitForEnd(id: ContainerId, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.store.isKept(id)) return true;
      if (Date.now() >= deadline) return false;
      await sleep(25);
    }
  }
}
