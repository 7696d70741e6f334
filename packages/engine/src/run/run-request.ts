import {
  type NetworkMode,
  type NetworkRequest,
  type PortMapping,
  type ContainerName,
  type DeviceMapping,
  type DeviceRule,
  type ResourceLimits,
} from '@koker/core';
import { type ProcessFlags } from '../launch/process-spec.js';

/** `koker run` as the CLI parsed it: every flag validated and in its unit, nothing decided yet. */
export interface RunRequest {
  /** The image as the user wrote it. */
  readonly image: string;
  readonly name?: ContainerName;
  /** `--hostname`; default: the short container ID. */
  readonly hostname?: string;
  readonly process: Omit<ProcessFlags, 'hostname' | 'availableCapabilities'>;
  readonly limits: ResourceLimits;
  readonly network: {
    readonly mode: NetworkMode;
    readonly ports: readonly PortMapping[];
    readonly dns: readonly string[];
    /** A user network's name or ID (`--network NAME`, mode `bridge`). */
    readonly network?: string;
    /** `--network-alias`. */
    readonly aliases?: readonly string[];
    /** `--ip`. */
    readonly ip?: string;
    readonly dnsSearch?: readonly string[];
    readonly dnsOptions?: readonly string[];
    /** `--add-host`. */
    readonly extraHosts?: readonly { readonly name: string; readonly ip: string }[];
    /** Mode `container`: the name or ID given (`--network container:NAME`). */
    readonly container?: string;
    /** Mode `container`: what the caller found of that container. */
    readonly joinContainer?: NetworkRequest['joinContainer'];
  };
  readonly readOnlyRootfs: boolean;
  /** `--device`, each host node looked at. */
  readonly devices?: readonly DeviceMapping[];
  /** `--device-cgroup-rule`, parsed. */
  readonly deviceCgroupRules?: readonly DeviceRule[];
  readonly init: boolean;
  /** `--rm` */
  readonly autoRemove: boolean;
}
