import { type ContainerMount } from './container-mount.js';
import { type NetworkRequest } from './network.js';
import { type DeviceNode, type Rlimit, type SeccompMode } from './launcher.js';
import { type ByteSize } from '../domain/byte-size.js';
import { type ContainerId } from '../domain/container-id.js';
import { type ContainerName } from '../domain/container-name.js';
import { type DeviceRule } from '../domain/device-rule.js';
import { type ResourceLimits } from '../domain/resource-limits.js';

/**
 * A container fully decided from the CLI request and the image: what the orchestrator runs,
 * and what a record keeps so that `start` can run it again. Only the user (a name needs the
 * container's /etc/passwd) is resolved at launch.
 */
export interface ContainerSpec {
  readonly id: ContainerId;
  readonly name: ContainerName;
  readonly hostname: string;
  /** `--domainname`: the NIS domain name of the container's UTS namespace. */
  readonly domainname?: string;
  readonly image: { readonly reference: string; readonly id: string };
  /** Image layer directories, topmost first. */
  readonly layerDirs: readonly string[];
  readonly readOnlyRootfs: boolean;
  readonly limits: ResourceLimits;
  readonly network: NetworkRequest;
  readonly process: ProcessRequest;
  readonly privileged: boolean;
  /** `--device`: host devices made in the container's /dev, and allowed. */
  readonly devices?: readonly DeviceMapping[];
  /** `--device-cgroup-rule`: allow rules added to the default device policy. */
  readonly deviceCgroupRules?: readonly DeviceRule[];
  /** `--init`: a minimal init as PID 1. */
  readonly init: boolean;
  /** `-v`, `--mount`, `--tmpfs`, `--volumes-from` and the image's VOLUMEs, in the order they are mounted. */
  readonly mounts?: readonly ContainerMount[];
  /** `--rm` */
  readonly autoRemove: boolean;
  /** `--shm-size`: the size of the /dev/shm tmpfs (Docker's default 64 MiB when absent). */
  readonly shmSize?: ByteSize;
  /** `--sysctl`: namespaced kernel parameters, checked against Docker's allow-list. */
  readonly sysctls?: Readonly<Record<string, string>>;
  /** `--oom-score-adj`, -1000..1000. */
  readonly oomScoreAdj?: number;
  /** `--uts`, `--pid`, `--ipc`: the namespaces not made new for the container. */
  readonly namespaces?: NamespaceModes;
  /** `--health-*` over the image's HEALTHCHECK; absent: none (or `--no-healthcheck`). */
  readonly healthcheck?: HealthcheckConfig;
  /**
   * `--no-healthcheck`, or the image's `HEALTHCHECK NONE`: no check, and `inspect` shows
   * Docker's `Healthcheck: {"Test": ["NONE"]}` rather than no Healthcheck at all.
   */
  readonly healthcheckDisabled?: boolean;
}

/** A container's health check, every value decided (Docker's defaults filled in). */
export interface HealthcheckConfig {
  /** `["CMD", argv...]` or `["CMD-SHELL", command]`, as Docker keeps it. */
  readonly test: readonly string[];
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Failures in this time after the start do not count (a success ends it early). */
  readonly startPeriodMs: number;
  /** The interval during the start period. */
  readonly startIntervalMs: number;
  /** Consecutive failures that make it unhealthy. */
  readonly retries: number;
}

/** Another container's namespace, by its ID: it must be running when this one starts. */
export interface ContainerNamespace {
  readonly container: ContainerId;
}

/** Docker's `--uts`, `--pid` and `--ipc` modes; absent: a new namespace of the container's own. */
export interface NamespaceModes {
  readonly uts?: 'host';
  readonly pid?: 'host' | ContainerNamespace;
  /** `shareable`: others may join it (`--ipc container:ID`); `private`: they may not (the default). */
  readonly ipc?: 'host' | 'shareable' | 'private' | ContainerNamespace;
}

/**
 * The process decided from the image and the flags, before the rootfs exists: only the user
 * (a name needs the container's /etc/passwd) is left to `resolveProcess`.
 */
export interface ProcessRequest {
  /** What Docker shows as Config.Entrypoint and Config.Cmd after the overrides. */
  readonly entrypoint: readonly string[];
  readonly command: readonly string[];
  readonly args: readonly string[];
  readonly env: readonly string[];
  readonly cwd: string;
  /** As given (`-u`, else the image's User); empty for root. */
  readonly user: string;
  readonly terminal: boolean;
  readonly stdin: boolean;
  readonly capabilities: readonly string[];
  readonly noNewPrivileges: boolean;
  /** `default`: koker's seccomp profile; `unconfined` (--privileged, or asked): no filter. Absent: default. */
  readonly seccomp?: SeccompMode;
  readonly rlimits: readonly Rlimit[];
  /** `--group-add`: supplementary groups by name (looked up in the container) or GID. */
  readonly groupAdd?: readonly string[];
}

/** `--device HOST[:CONTAINER[:PERMISSIONS]]`, the host node already looked at. */
export interface DeviceMapping {
  /** The node made in the container: its path there, the host node's type and numbers. */
  readonly node: DeviceNode;
  /** What the container may do with it: a subset of `rwm`. */
  readonly access: string;
}
