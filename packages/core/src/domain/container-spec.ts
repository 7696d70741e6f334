import { type NetworkRequest } from '../contracts/network.js';
import { type ProcessRequest } from '../launch/process-spec.js';
import { type ContainerId } from './container-id.js';
import { type ContainerName } from './container-name.js';
import { type ResourceLimits } from './resource-limits.js';

/**
 * A container fully decided from the CLI request and the image: what the orchestrator runs,
 * and what a record keeps so that `start` can run it again. Only the user (a name needs the
 * container's /etc/passwd) is resolved at launch.
 */
export interface ContainerSpec {
  readonly id: ContainerId;
  readonly name: ContainerName;
  readonly hostname: string;
  readonly image: { readonly reference: string; readonly id: string };
  /** Image layer directories, topmost first. */
  readonly layerDirs: readonly string[];
  readonly readOnlyRootfs: boolean;
  readonly limits: ResourceLimits;
  readonly network: NetworkRequest;
  readonly process: ProcessRequest;
  readonly privileged: boolean;
  /** `--init`: a minimal init as PID 1. */
  readonly init: boolean;
  /** `--rm` */
  readonly autoRemove: boolean;
}
