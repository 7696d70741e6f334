import { type LaunchPlan, type ExitStatus, type Launcher } from '../contracts/launcher.js';
import { type NetworkAttachment, type NetworkDriver } from '../contracts/network.js';
import { type CgroupPlacement, type ResourceDriver } from '../contracts/resources.js';
import { type PreparedRootfs, type StorageDriver } from '../contracts/storage.js';
import { type ContainerSpec } from '../domain/container-spec.js';
import { type Logger } from '../log/logger.js';
import { ResourceScope } from './resource-scope.js';
import { SignalGuard, type SignalName } from './signal-guard.js';

export interface RunDrivers {
  readonly network: NetworkDriver;
  readonly storage: StorageDriver;
  readonly resources: ResourceDriver;
  readonly launcher: Launcher;
}

/** Pure: what the launcher must do, from what each driver produced. */
export type PlanBuilder = (
  spec: ContainerSpec,
  parts: { network: NetworkAttachment; rootfs: PreparedRootfs; cgroups: CgroupPlacement },
) => LaunchPlan;

/**
 * One container run: network, rootfs and cgroups acquired in that order, the process launched and
 * awaited, everything released in reverse order whatever happens (error, SIGINT, SIGTERM).
 */
export class RunOrchestrator {
  constructor(
    private readonly drivers: RunDrivers,
    private readonly buildPlan: PlanBuilder,
    private readonly log: Logger,
  ) {}

  async run(spec: ContainerSpec): Promise<ExitStatus> {
    const log = this.log.child({ container: spec.id.slice(0, 12) });
    const scope = new ResourceScope(log);
    const guard = new SignalGuard();
    // A signal during setup takes effect between steps: each acquired resource is then released.
    const checkpoint = () => guard.signal.throwIfAborted();
    const { network, storage, resources, launcher } = this.drivers;
    try {
      log.info('Setup network for container');
      const net = await scope.acquire(
        'network',
        () => network.attach(spec.id, spec.network),
        () => network.detach(spec.id),
      );
      checkpoint();
      log.info('Mount filesystem for container');
      const rootfs = await scope.acquire(
        'rootfs',
        () => storage.prepare(spec.id, spec.layerDirs, { readOnly: spec.readOnlyRootfs }),
        async (prepared) => {
          const left = await storage.release(spec.id);
          if (left.length > 0)
            log.warn({ paths: left, rootfs: prepared.path }, 'Could not remove everything of the rootfs');
        },
      );
      checkpoint();
      log.info("Set container's limit using cgroup");
      const cgroups = await scope.acquire(
        'cgroups',
        () => resources.create(spec.id, spec.limits),
        () => resources.destroy(spec.id),
      );
      checkpoint();
      log.info('Execute command');
      const process = await launcher.start(this.buildPlan(spec, { network: net, rootfs, cgroups }));
      guard.forwardTo((signal: SignalName) => process.kill(signal));
      return await process.wait();
    } finally {
      guard.dispose();
      await scope.close();
    }
  }
}
