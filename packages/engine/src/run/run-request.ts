import {
  type NetworkMode,
  type NetworkRequest,
  type PortMapping,
  type ContainerName,
  type DeviceMapping,
  type DeviceRule,
  type ResourceLimits,
  type ByteSize,
  type NamespaceModes,
  type RestartPolicy,
} from '@koker/core';
import { type ProcessFlags } from '../launch/process-spec.js';
import { type MountRequest, type VolumesFromRequest } from '../volumes/mount-request.js';
import { type HealthFlags } from '../lifecycle/health.js';

/** `koker run` as the CLI parsed it: every flag validated and in its unit, nothing decided yet. */
export interface RunRequest {
  /** The image as the user wrote it. */
  readonly image: string;
  readonly name?: ContainerName;
  /** `--hostname`; default: the short container ID. */
  readonly hostname?: string;
  /** `--domainname`: the container's NIS domain name. */
  readonly domainname?: string;
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
  /** `-v`, `--mount`, `--tmpfs`, parsed. */
  readonly mounts?: readonly MountRequest[];
  /** `--volumes-from`. */
  readonly volumesFrom?: readonly VolumesFromRequest[];
  /** `--rm` */
  readonly autoRemove: boolean;
  /** `--label`, `--label-file`: over the image's labels. */
  readonly labels?: Readonly<Record<string, string>>;
  /** `--stop-signal`: over the image's StopSignal. */
  readonly stopSignal?: string;
  /** `--stop-timeout` in seconds. */
  readonly stopTimeout?: number;
  /** `--restart` */
  readonly restartPolicy?: RestartPolicy;
  readonly shmSize?: ByteSize;
  readonly sysctls?: Readonly<Record<string, string>>;
  readonly oomScoreAdj?: number;
  /** `--uts`, `--pid`, `--ipc` */
  readonly namespaces?: NamespaceModes;
  /** `--health-*` and `--no-healthcheck`, over the image's HEALTHCHECK. */
  readonly health?: HealthFlags;
}
