import { type ContainerId } from '../domain/container-id.js';
import { contractKey } from './contract-key.js';
import { type CgroupPlacement } from './resources.js';

export type NamespaceKind = 'mount' | 'uts' | 'ipc' | 'pid' | 'net' | 'cgroup';

export interface MountStep {
  /** What to mount: a device, a host path for bind mounts, or a pseudo-filesystem name. */
  readonly source: string;
  /** Absolute path inside the container's root. */
  readonly target: string;
  readonly fstype: string;
  /** mount(2) flags by name: `bind`, `rec`, `ro`, `nosuid`, `nodev`, `noexec`, ... */
  readonly flags: readonly string[];
  readonly data?: string;
}

export interface ProcessSpec {
  readonly args: readonly string[];
  readonly env: readonly string[];
  readonly cwd: string;
  readonly uid: number;
  readonly gid: number;
  readonly additionalGids: readonly number[];
  readonly terminal: boolean;
  /** Capability names without the CAP_ prefix, e.g. `CHOWN`. */
  readonly capabilities: readonly string[];
  readonly noNewPrivileges: boolean;
}

/**
 * Everything the native part needs to start a container, fully decided by TypeScript: the
 * native side executes it step by step and decides nothing.
 */
export interface LaunchPlan {
  readonly id: ContainerId;
  readonly rootfs: string;
  readonly readOnlyRootfs: boolean;
  readonly newNamespaces: readonly NamespaceKind[];
  readonly joinNamespaces: readonly { readonly kind: NamespaceKind; readonly path: string }[];
  readonly cgroups: CgroupPlacement;
  readonly hostname?: string;
  readonly mounts: readonly MountStep[];
  readonly maskedPaths: readonly string[];
  readonly readOnlyPaths: readonly string[];
  readonly process: ProcessSpec;
}

export type ExitStatus = { readonly code: number } | { readonly signal: number };

export interface LaunchedProcess {
  /** PID of the container's first process, as the host sees it. */
  readonly pid: number;
  /** Resolves when the container's first process has ended. */
  wait(): Promise<ExitStatus>;
  kill(signal: NodeJS.Signals | number): void;
}

/** Starts a container's process from a plan (run), or joins a running container's (exec). */
export interface Launcher {
  readonly name: string;
  start(plan: LaunchPlan): Promise<LaunchedProcess>;
}

export const LauncherContract = contractKey<Launcher>('launcher');
