import { type NetworkRequest } from '../contracts/network.js';
import { type ProcessSpec } from '../contracts/launcher.js';
import { type ContainerId } from './container-id.js';
import { type ContainerName } from './container-name.js';
import { type ResourceLimits } from './resource-limits.js';

/** A container fully decided from the CLI request and the image: what the orchestrator runs. */
export interface ContainerSpec {
  readonly id: ContainerId;
  readonly name: ContainerName;
  readonly hostname: string;
  /** Image layer directories, topmost first. */
  readonly layerDirs: readonly string[];
  readonly readOnlyRootfs: boolean;
  readonly limits: ResourceLimits;
  readonly network: NetworkRequest;
  readonly process: ProcessSpec;
}
