import {
  type LaunchOptions,
  type Launcher,
  type NetworkDriver,
  type ResourceDriver,
  type ContainerRecord,
  type ContainerSpec,
  type HeldLock,
  type StateStore,
  type StorageDriver,
  shortContainerId,
  type ContainerId,
  NotFoundError,
  StateError,
  type Logger,
} from '@koker/core';
import { prepareContainer, runningRecord } from '../run/prepare-container.js';
import { ResourceScope } from '../run/resource-scope.js';
import { procHost, type RunHost } from '../run/run-host.js';
import { SignalGuard } from '../run/signal-guard.js';
import { findJoinedContainer } from '../run/joined-container.js';
import { settleStaleContainers } from './settle-stale.js';
import { type ContainerLifecycle } from './container-lifecycle.js';
import { removeExitFile } from './exit-file.js';
import { type VolumeDrivers } from '../volumes/volume-drivers.js';
import { lockVolumes, volumeNamesOf } from '../volumes/volume-locks.js';
import { removeHealthFile } from './health.js';

export interface StartDrivers {
  readonly storage: StorageDriver;
  readonly resources: ResourceDriver;
  readonly network: NetworkDriver;
  readonly launcher: Launcher;
  readonly state: StateStore;
  /** The volume drivers by name, for a container that mounts volumes. */
  readonly volumes?: VolumeDrivers;
}

/** How the monitor wraps the launcher, for a container (its -t and -i decide the monitor's stdio). */
export type StartDetach = (record: ContainerRecord) => Pick<LaunchOptions, 'wrapper' | 'stdio'>;

export interface StartOptions {
  /** Start only if the record (read under the container lock) still says so. */
  readonly onlyIf?: (record: ContainerRecord) => boolean;
  /** Started by its restart policy: RestartCount goes up. */
  readonly restart?: boolean;
}

/**
 * `--network container:NAME`: the joined container's namespace found again (the one recorded
 * named the process it had then); refused, as Docker does, if it is not running now.
 */
async function withNetworkJoinedAgain(
  spec: ContainerSpec,
  state: StateStore,
  log: Logger,
): Promise<ContainerSpec> {
  const name = spec.network.container;
  if (spec.network.mode !== 'container' || name === undefined) return spec;
  const { joinContainer } = await findJoinedContainer(state, name, log);
  return { ...spec, network: { ...spec.network, joinContainer } };
}

/**
 * `koker start` of a stopped container: the same setup as `run` from the spec its record keeps
 * (rootfs, cgroups, network, files, plan), the launcher under a monitor, as `run -d` does. A
 * running container is left as it is. If the setup fails, what it made is released and the
 * record keeps the error as its reason.
 */
export async function startContainer(
  id: ContainerId,
  drivers: StartDrivers,
  lifecycle: ContainerLifecycle,
  detach: StartDetach,
  log: Logger,
  host: RunHost = procHost,
  options: StartOptions = {},
): Promise<ContainerRecord> {
  const { state, launcher, resources } = drivers;
  const container = shortContainerId(id);
  // What crashed runs left (a port, an address) must not stand in this start's way.
  await settleStaleContainers(state, lifecycle, log);
  const lock = await state.lockContainer(id);
  try {
    const record = await lifecycle.settleLocked(id);
    if (!record) throw new NotFoundError(`no such container: ${id}`);
    if ((await lifecycle.observe(record)).running) return record;
    // Checked under the container lock: a `stop` that came during the back-off wins.
    if (options.onlyIf && !options.onlyIf(record)) return record;
    const spec = record.spec;
    if (!spec) {
      throw new StateError(`container ${record.name} cannot be started again: its record has no run spec`, {
        hint: 'it was made by an older koker; remove it and run the image again',
      });
    }
    await resources.validate(spec.limits);
    const joined = await withNetworkJoinedAgain(spec, state, log);
    // The previous end must not be read as this run's.
    await removeExitFile(state.directory(id));
    await removeHealthFile(state.directory(id));
    const scope = new ResourceScope(log.child({ container }));
    const guard = new SignalGuard();
    let handedOver = false;
    let volumeLock: HeldLock | undefined;
    try {
      // With -t the container keeps its own terminal (koker-init's, in its devpts), as `run -t`
      // does; the monitor's pseudo-terminal carries it raw.
      const detachedSpec = joined;
      // A volume another run is filling is taken once it is full (volume-locks.ts).
      volumeLock = await lockVolumes(drivers.volumes, volumeNamesOf(spec.mounts ?? []));
      const { plan, process, attachment } = await prepareContainer(detachedSpec, {
        drivers,
        scope,
        checkpoint: () => guard.signal.throwIfAborted(),
        log: log.child({ container }),
        host,
      });
      log.info({ container, command: process.args[0] }, 'Execute command');
      const at = new Date().toISOString();
      const launched = await launcher.start(plan, { ...detach(record), detached: true });
      volumeLock.release();
      handedOver = true;
      return await state.update(id, (current) => {
        const { manuallyStopped: _stopped, restarting: _restarting, ...rest } = current;
        return {
          ...runningRecord(rest, { pid: launched.pid, at, attachment }),
          detached: true,
          ...(options.restart ? { restartCount: (current.restartCount ?? 0) + 1 } : {}),
        };
      });
    } catch (error) {
      volumeLock?.release();
      if (!handedOver) {
        await scope.close();
        await state
          .update(id, (current) => ({
            ...current,
            reason: error instanceof Error ? error.message : String(error),
          }))
          .catch(() => undefined);
      }
      throw error;
    } finally {
      guard.dispose();
    }
  } finally {
    lock.release();
  }
}
