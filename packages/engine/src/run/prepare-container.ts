import { join } from 'node:path';
import {
  type LaunchPlan,
  type ProcessSpec,
  type NetworkAttachment,
  type NetworkDriver,
  type ResourceDriver,
  type ContainerRecord,
  type StateStore,
  type StorageDriver,
  type ContainerSpec,
  type DeviceNode,
  type Logger,
  ConflictError,
} from '@koker/core';
import { readFileInRoot } from '../launch/in-root.js';
import { devicePolicy } from '../launch/device-policy.js';
import { hostDevices } from '../launch/host-devices.js';
import {
  DEFAULT_SHM_SIZE,
  buildLaunchPlan,
  type NamespaceChoices,
  type SharedNamespace,
} from '../launch/launch-plan.js';
import { resolveProcess } from '../launch/process-spec.js';
import { parseGroup, parsePasswd } from '../launch/users.js';
import { containerFileContents, writeContainerFiles } from './container-files.js';
import { crashPoint } from './crash-point.js';
import { type ResourceScope } from './resource-scope.js';
import { type RunHost } from './run-host.js';
import { mountShareableShm, releaseShm, shmDirectory } from './shared-shm.js';
import { rootPropagation, userMountSteps } from '../volumes/mount-steps.js';
import { type VolumeDrivers } from '../volumes/volume-drivers.js';

export interface PrepareContext {
  readonly drivers: {
    readonly storage: StorageDriver;
    readonly resources: ResourceDriver;
    readonly network: NetworkDriver;
    readonly state: StateStore;
    /** The volume drivers, by name: needed when the container mounts volumes. */
    readonly volumes?: VolumeDrivers;
  };
  /** Takes what is acquired, so the caller releases it on failure (or hands it over). */
  readonly scope: ResourceScope;
  /** Throws when a signal asked to stop the setup. */
  readonly checkpoint: () => void;
  readonly log: Logger;
  readonly host: RunHost;
}

/** A container ready to launch: its plan, its process as resolved, and its network as attached. */
export interface PreparedContainer {
  readonly plan: LaunchPlan;
  readonly process: ProcessSpec;
  readonly attachment: NetworkAttachment;
}

/**
 * Everything a container needs before its process starts, from its spec: the rootfs, the
 * cgroups and the network in that order (each taken by the scope), the files of its directory,
 * the process resolved against the image's users, and the launch plan. Shared by `run` and by
 * `start` of a stopped container.
 */
export async function prepareContainer(
  spec: ContainerSpec,
  context: PrepareContext,
): Promise<PreparedContainer> {
  const { storage, resources, network, state } = context.drivers;
  const { scope, checkpoint, log } = context;
  const { id, hostname } = spec;
  log.info('Mount filesystem for container');
  const rootfs = await scope.acquire(
    'rootfs',
    // Writable even for --read-only: mount targets the image lacks (/etc/resolv.conf...) are
    // made first; the launcher remounts the root read-only after its mounts, as runc does.
    // Mounted by the launcher inside the container where the driver can: nothing to unmount on
    // the host afterwards, and no mount code loaded here.
    () =>
      storage.prepare(id, spec.layerDirs, {
        readOnly: false,
        inContainer: true,
        volatile: spec.autoRemove,
      }),
    async () => {
      // A kept container keeps its files (its changes) until `rm`, as Docker keeps them.
      if (!spec.autoRemove && storage.unmount) return storage.unmount(id);
      const left = await storage.release(id);
      if (left.length > 0) log.warn({ paths: left }, 'Could not remove everything of the rootfs');
    },
  );
  checkpoint();
  crashPoint('run:rootfs');
  log.info("Set container's limit using cgroup");
  const cgroups = await scope.acquire(
    'cgroups',
    () =>
      resources.create(
        id,
        spec.limits,
        devicePolicy({
          privileged: spec.privileged,
          devices: spec.devices ?? [],
          extraRules: spec.deviceCgroupRules ?? [],
        }),
      ),
    () => resources.destroy(id),
  );
  checkpoint();
  crashPoint('run:cgroups');
  log.info('Setup network for container');
  const attachment = await scope.acquire(
    'network',
    () => network.attach(id, { ...spec.network, hostsFile: join(state.directory(id), 'hosts') }),
    () => network.detach(id),
  );
  checkpoint();
  crashPoint('run:network');

  const namespaces = await sharedNamespaces(spec, state);
  const shmSource = await sharedShm(spec, state, scope, log);
  log.info('Copy nameserver config');
  const files = await writeContainerFiles(state.directory(id), containerFileContents(hostname, attachment), {
    hostsWritten: attachment.hostsWritten === true,
  });
  const readFile = (path: string) =>
    rootfs.readFile ? rootfs.readFile(path) : readFileInRoot(rootfs.path, path);
  const process = resolveProcess(spec.process, {
    passwd: parsePasswd(readFile('/etc/passwd') ?? ''),
    groups: parseGroup(readFile('/etc/group') ?? ''),
  });
  const mounts = spec.mounts ?? [];
  const userMounts = await userMountSteps(id, mounts, {
    ...(context.drivers.volumes ? { volumes: context.drivers.volumes } : {}),
    log,
    onMounted: (name, driver) =>
      scope.defer(`volume ${name}`, async () => {
        await (await context.drivers.volumes?.driver(driver))?.unmount(name, id);
      }),
  });
  checkpoint();
  const plan = buildLaunchPlan({
    id,
    rootfs: {
      path: rootfs.path,
      readOnly: spec.readOnlyRootfs,
      ...(rootfs.overlay ? { overlay: rootfs.overlay } : {}),
    },
    hostname,
    ...(spec.domainname !== undefined ? { domainname: spec.domainname } : {}),
    process,
    cgroups,
    network: {
      mode: attachment.mode,
      ...(attachment.netnsPath ? { netnsPath: attachment.netnsPath } : {}),
    },
    files,
    privileged: spec.privileged,
    devices: containerDevices(spec),
    init: spec.init,
    ...(spec.shmSize !== undefined ? { shmSize: spec.shmSize } : {}),
    ...(shmSource !== undefined ? { shmSource } : {}),
    ...(spec.sysctls ? { sysctls: spec.sysctls } : {}),
    ...(spec.oomScoreAdj !== undefined ? { oomScoreAdj: spec.oomScoreAdj } : {}),
    namespaces,
    cgroupNamespace: context.host.cgroupNamespace,
    userMounts,
    rootPropagation: rootPropagation(mounts),
    ...(context.host.cgroupLayout ? { cgroupLayout: context.host.cgroupLayout() } : {}),
  });
  return { plan, process, attachment };
}

/**
 * `--uts/--pid/--ipc`: the host's namespaces, or a running container's to join (its first
 * process's). Docker's rule for IPC: only a container started with `--ipc shareable` is joined.
 */
async function sharedNamespaces(spec: ContainerSpec, state: StateStore): Promise<NamespaceChoices> {
  const modes = spec.namespaces ?? {};
  const join = async (kind: 'pid' | 'ipc', mode: NonNullable<typeof modes.pid>): Promise<SharedNamespace> => {
    if (mode === 'host') return 'host';
    const other = await state.get(mode.container);
    if (!state.isKept(other.id) || other.pid === undefined)
      throw new ConflictError(
        `cannot join the ${kind} namespace of container ${other.name}: it is not running`,
      );
    if (
      kind === 'ipc' &&
      other.spec?.namespaces?.ipc !== 'shareable' &&
      other.spec?.namespaces?.ipc !== 'host'
    )
      throw new ConflictError(
        `cannot join the IPC namespace of container ${other.name}: it is not shareable`,
        {
          hint: `start it with --ipc shareable`,
        },
      );
    return { path: `/proc/${other.pid}/ns/${kind}` };
  };
  const ipc = modes.ipc;
  return {
    ...(modes.uts === 'host' ? { uts: 'host' as const } : {}),
    ...(modes.pid !== undefined ? { pid: await join('pid', modes.pid) } : {}),
    ...(ipc !== undefined && ipc !== 'shareable' && ipc !== 'private' ? { ipc: await join('ipc', ipc) } : {}),
  };
}

/**
 * /dev/shm as Docker shares it with the IPC namespace: a `shareable` container's on the host (so
 * others can join it), the joined container's for `container:NAME`, the host's for `host`; else
 * (private) a tmpfs of the container's own, made by the launcher.
 */
async function sharedShm(
  spec: ContainerSpec,
  state: StateStore,
  scope: ResourceScope,
  log: Logger,
): Promise<string | undefined> {
  const ipc = spec.namespaces?.ipc;
  if (ipc === undefined || ipc === 'private') return undefined;
  if (ipc === 'host') return '/dev/shm';
  if (ipc === 'shareable') {
    const dir = state.directory(spec.id);
    return scope.acquire(
      'shm',
      async () => mountShareableShm(dir, spec.shmSize ?? DEFAULT_SHM_SIZE, log),
      async () => releaseShm(dir, log),
    );
  }
  const other = await state.get(ipc.container);
  if (other.spec?.namespaces?.ipc === 'host') return '/dev/shm';
  return shmDirectory(state.directory(other.id));
}

/** `--device` nodes, after the host's for --privileged (as Docker shows them), a --device winning. */
function containerDevices(spec: ContainerSpec): DeviceNode[] {
  const asked = (spec.devices ?? []).map((d) => d.node);
  const taken = new Set(asked.map((d) => d.path));
  const host = spec.privileged ? hostDevices().filter((d) => !taken.has(d.path)) : [];
  return [...host, ...asked];
}

/**
 * The record of a container whose process started: its PID, when it started (taken before the
 * launch, so never after its end), and its network as the driver made it (address, gateway,
 * published ports with the host ports chosen).
 */
export function runningRecord(
  record: ContainerRecord,
  started: { pid: number; at: string; attachment: NetworkAttachment },
): ContainerRecord {
  const {
    exitCode: _code,
    reason: _reason,
    oomKilled: _oom,
    finished: _finished,
    awaitingStart: _awaiting,
    ...rest
  } = record;
  const { attachment } = started;
  return {
    ...rest,
    status: 'running',
    pid: started.pid,
    started: started.at,
    network: {
      mode: attachment.mode,
      ...(attachment.ipAddress ? { ipAddress: attachment.ipAddress } : {}),
      ...(attachment.gateway ? { gateway: attachment.gateway } : {}),
      ports: attachment.ports,
    },
  };
}
