import { type ContainerId } from '../domain/container-id.js';
import { contractKey } from './contract-key.js';
import { type CgroupPlacement } from './resources.js';
import { type OverlayMount } from './storage.js';

export type NamespaceKind = 'mount' | 'uts' | 'ipc' | 'pid' | 'net' | 'cgroup' | 'user' | 'time';

/** One line of a user namespace's uid_map or gid_map: `size` ids from `containerId` on are the host's from `hostId`. */
export interface IdMapping {
  readonly containerId: number;
  readonly hostId: number;
  readonly size: number;
}

/** A new user namespace's maps, written by the runtime before the container's process goes on. */
export interface UserNamespaceMaps {
  readonly uidMappings: readonly IdMapping[];
  readonly gidMappings: readonly IdMapping[];
}

/** How far a new time namespace's clock is from the host's. */
export interface ClockOffset {
  readonly secs: number;
  readonly nanosecs: number;
}

/** A new time namespace's offsets (/proc/self/timens_offsets), per clock. */
export interface TimeOffsets {
  readonly monotonic?: ClockOffset;
  readonly boottime?: ClockOffset;
}

export interface NamespaceJoin {
  readonly kind: NamespaceKind;
  /** A namespace file: `/proc/<pid>/ns/<kind>` or a bind-mounted one (a network driver's). */
  readonly path: string;
}

export interface MountStep {
  /** What to mount: a device, a host path for bind mounts, or a pseudo-filesystem name. */
  readonly source: string;
  /** Absolute path inside the container's root (resolved there, never followed out of it). */
  readonly target: string;
  readonly fstype: string;
  /** mount(2) flags by name: `bind`, `rec`, `ro`, `nosuid`, `nodev`, `noexec`, ... */
  readonly flags: readonly string[];
  readonly data?: string;
  /** What to create at the target when it is absent: a directory (default) or an empty file. */
  readonly targetType?: 'directory' | 'file';
  /** Set on the mount once made (a bind's `bind-propagation`, e.g. `rslave`). */
  readonly propagation?: string;
  /**
   * A volume's first use: when the source directory is empty, what the root has at the target
   * (owners, modes, symlinks) is copied into it before the mount (Docker's copy-up).
   */
  readonly copyUp?: boolean;
}

export interface DeviceNode {
  readonly path: string;
  readonly type: 'c' | 'b';
  readonly major: number;
  readonly minor: number;
  /** Permission bits, e.g. 0o666. */
  readonly mode: number;
}

export interface SymlinkStep {
  /** Where the link is made, inside the container. */
  readonly path: string;
  /** What it points at (not resolved). */
  readonly target: string;
}

export interface Rlimit {
  /** `nofile`, `nproc`, `core`, ... (RLIMIT_ without the prefix, lower case). */
  readonly type: string;
  readonly soft: number | 'unlimited';
  readonly hard: number | 'unlimited';
}

/**
 * Which seccomp filter the container's processes run under: koker's default, none, or a
 * profile in Docker's JSON format (its text, kept as given: the engine compiles it at launch).
 */
export type SeccompMode = 'default' | 'unconfined' | { readonly profile: string };

/** The container's process, every value resolved (uid from /etc/passwd, PATH, capabilities). */
export interface ProcessSpec {
  readonly args: readonly string[];
  readonly env: readonly string[];
  readonly cwd: string;
  readonly uid: number;
  readonly gid: number;
  readonly additionalGids: readonly number[];
  /** `-t`: a pty opened inside the container, copied to koker's stdio. */
  readonly terminal: boolean;
  /** `-i`: the container reads koker's stdin (otherwise /dev/null). */
  readonly stdin: boolean;
  /** Capability names without the CAP_ prefix, e.g. `CHOWN`: the bounding set. */
  readonly capabilities: readonly string[];
  readonly noNewPrivileges: boolean;
  /** `default`: koker's seccomp profile; `unconfined` (--privileged, or asked): no filter. Absent: default. */
  readonly seccomp?: SeccompMode;
  readonly rlimits: readonly Rlimit[];
  /** The file mode creation mask the command starts with (an OCI bundle's `process.user.umask`). */
  readonly umask?: number;
  /**
   * The sets besides the bounding one, by name, as an OCI bundle gives them. Absent: root holds
   * the bounding set in effect, other users none (Docker's rule).
   */
  readonly capabilitySets?: CapabilitySets;
}

/** Capability names (without CAP_) per set, beyond the bounding set. */
export interface CapabilitySets {
  readonly effective: readonly string[];
  readonly permitted: readonly string[];
  readonly inheritable: readonly string[];
  readonly ambient: readonly string[];
}

/**
 * Everything the native part needs to start a container, fully decided by TypeScript: the
 * native side executes it step by step and decides nothing.
 */
export interface LaunchPlan {
  readonly id: ContainerId;
  readonly rootfs: string;
  /** Mounted at `rootfs` by the container's first process, in its own mount namespace. */
  readonly rootfsOverlay?: OverlayMount;
  readonly readOnlyRootfs: boolean;
  readonly newNamespaces: readonly NamespaceKind[];
  /**
   * The propagation the container's mount tree starts with: `rprivate`, or `rslave` when a bind
   * asks for another propagation than private (the host's mounts then reach the container;
   * nothing of the container's reaches the host).
   */
  readonly rootPropagation?: 'rprivate' | 'rslave';
  /** Joined before the clone, e.g. the network namespace a network driver made. */
  readonly joinNamespaces: readonly NamespaceJoin[];
  /** The maps of the new user namespace, when `newNamespaces` has `user`. */
  readonly userNamespace?: UserNamespaceMaps;
  /** The clocks of the new time namespace, when `newNamespaces` has `time`. */
  readonly timeOffsets?: TimeOffsets;
  readonly cgroups: CgroupPlacement;
  readonly hostname?: string;
  /** The NIS domain name (setdomainname), set with the hostname in the container's UTS namespace. */
  readonly domainname?: string;
  /** Bring `lo` up (a new network namespace of its own). */
  readonly loopback: boolean;
  /**
   * Kernel settings of the container's own namespaces, written through its /proc/sys after
   * pivot_root and before /proc/sys becomes read-only: dotted name (`net.ipv4.ping_group_range`)
   * to value.
   */
  readonly sysctls?: Readonly<Record<string, string>>;
  /** In order, before pivot_root: targets are paths inside `rootfs`. */
  readonly mounts: readonly MountStep[];
  /**
   * The user's mounts (-v, --mount, --tmpfs, volumes), after koker's, parents first: each
   * target made if missing and resolved strictly inside the root (a symlink out of it is an
   * error), mounted through its fd.
   */
  readonly userMounts?: readonly MountStep[];
  readonly devices: readonly DeviceNode[];
  readonly symlinks: readonly SymlinkStep[];
  readonly maskedPaths: readonly string[];
  readonly readOnlyPaths: readonly string[];
  readonly process: ProcessSpec;
  /** `--init`: a minimal init is PID 1, reaping zombies and forwarding signals. */
  readonly init: boolean;
  /** `--oom-score-adj`: the container's /proc/self/oom_score_adj, inherited by its processes. */
  readonly oomScoreAdj?: number;
  /** An OCI bundle's hooks that run while the container is made (the runtime-spec's times). */
  readonly hooks?: LaunchHooks;
}

/** A program the runtime-spec runs at one point of a container's life, run by the native helper. */
export interface LaunchHook {
  readonly path: string;
  /** argv, its first element included (the path when empty). */
  readonly args: readonly string[];
  /** The whole environment: nothing is inherited. */
  readonly env: readonly string[];
  /** Seconds; the hook is killed and fails after it. */
  readonly timeout?: number;
  /** The container's state JSON on the hook's stdin, split where the container's pid goes. */
  readonly state: { readonly beforePid: string; readonly afterPid: string };
}

export interface LaunchHooks {
  /** In the runtime's namespaces once the container's mounts are made, before pivot_root. */
  readonly prestart: readonly LaunchHook[];
  /** Right after prestart, as prestart. */
  readonly createRuntime: readonly LaunchHook[];
  /** In the container's namespaces, after createRuntime, before pivot_root. */
  readonly createContainer: readonly LaunchHook[];
  /** In the container, as its user, just before the command's execve (after `start`). */
  readonly startContainer: readonly LaunchHook[];
}

/** `koker exec`: a process that joins every namespace and cgroup of a running container. */
export interface ExecPlan {
  readonly id: ContainerId;
  readonly joinNamespaces: readonly NamespaceJoin[];
  readonly cgroups: CgroupPlacement;
  readonly process: ProcessSpec;
}

export type StdioTarget = 'inherit' | 'null' | number;

export interface LaunchOptions {
  /** Prepended to the helper's argv (e.g. koker-monitor for a detached container). */
  readonly wrapper?: readonly string[];
  /**
   * The container outlives this koker process (`-d`): no parent-death signal, and the helper
   * keeps going when koker closes the channel after the start.
   */
  readonly detached?: boolean;
  /** The container's stdin, stdout, stderr; default: koker's own (stdin: /dev/null without -i). */
  readonly stdio?: readonly [StdioTarget, StdioTarget, StdioTarget];
  /**
   * An OCI runtime's `create` (and detached `exec`): the helper leaves as soon as the process is
   * set up, so the caller (conmon, a containerd shim: a subreaper) adopts it. With `startFifo`
   * the process waits before its execve until a byte arrives there (`start`); the launch
   * resolves once it waits. With a terminal, its master goes to `consoleSocket` (SCM_RIGHTS).
   */
  readonly handoff?: HandoffOptions;
  /**
   * fds 3..3+N-1 of this process, passed to the container's process at the same numbers (an
   * OCI runtime's `--preserve-fds` and socket activation's LISTEN_FDS).
   */
  readonly passFds?: number;
  /**
   * With a terminal whose stdio is no terminal (FIFOs, a service's): a file holding `ROWS COLUMNS`,
   * the size the pty gets at the start and again at each SIGWINCH to the helper.
   */
  readonly terminalSizeFile?: string;
}

export interface HandoffOptions {
  readonly startFifo?: string;
  readonly consoleSocket?: string;
  readonly consoleSize?: { readonly rows: number; readonly columns: number };
}

export type ExitStatus = { readonly code: number } | { readonly signal: number };

export interface LaunchedProcess {
  /** PID of the container's (or exec'd) process, as the host sees it. */
  readonly pid: number;
  /** Resolves when the process has ended. */
  wait(): Promise<ExitStatus>;
  /** Sends a signal to the process (through the helper, which forwards it). */
  kill(signal: NodeJS.Signals | number): void;
}

/** Starts a container's process from a plan (run), or joins a running container's (exec). */
export interface Launcher {
  readonly name: string;
  /** Resolves once the command runs (its execve succeeded); rejects with a 125/126/127 error. */
  start(plan: LaunchPlan, options?: LaunchOptions): Promise<LaunchedProcess>;
  exec(plan: ExecPlan, options?: LaunchOptions): Promise<LaunchedProcess>;
}

export const LauncherContract = contractKey<Launcher>('launcher');
