/** koker's settings after defaults, the config file, the environment and flags are merged. */
export interface KokerConfig {
  /** Where images, layers, containers and network state live. */
  readonly root: string;
  /** Where runtime-only state lives (locks, sockets): cleared by a reboot. */
  readonly runRoot: string;
  readonly registry: {
    /** Mirrors tried before Docker Hub for docker.io images, in order. */
    readonly mirrors: readonly string[];
    /** Registries reached over plain HTTP (loopback always is). */
    readonly insecure: readonly string[];
    /** Layers downloaded at once. */
    readonly concurrency: number;
    /** Deadlines of every registry transfer (RegistryTimeouts). */
    readonly timeouts: RegistryTimeouts;
  };
  /** Drivers forced by name, per contract id (`resources`, `storage`, `network`, ...). */
  readonly drivers: Readonly<Record<string, string>>;
  /** Extra driver modules to load: npm package names or absolute paths. */
  readonly driverModules: readonly string[];
  readonly network: {
    readonly bridge: string;
    /** IPv4 subnet in CIDR, private address space. */
    readonly subnet: string;
    /**
     * Name servers instead of the host's /etc/resolv.conf (Docker's daemon.json `dns`): what a
     * container gets without `--dns`, and where the resolver of user networks forwards names.
     */
    readonly dns?: readonly string[];
  };
  /**
   * Parent of the containers' cgroups: a name (placed next to koker's own cgroup in each
   * hierarchy) or an absolute cgroup path. Default: `koker`, or `koker-<hash>` for a non-default root.
   */
  readonly cgroupParent?: string;
  /** Path of the native helper binary (native/build/koker-init by default). */
  readonly nativeHelper?: string;
}

/**
 * How long a registry transfer may wait, in seconds. Past one, the pull ends (exit 125) naming
 * the registry, the blob and the deadline, and stores nothing. Config file `registry.timeouts`,
 * environment `KOKER_REGISTRY_{CONNECT,IDLE,STALL}_TIMEOUT`.
 */
export interface RegistryTimeouts {
  /** To open the TCP (and TLS) connection. */
  readonly connect: number;
  /** Without a single byte: waiting for the answer's headers, or between two reads of its body. */
  readonly idle: number;
  /**
   * To move at least STALL_MIN_BYTES of a body: a registry dripping a byte now and then, which
   * the idle deadline never catches, ends after this long.
   */
  readonly stall: number;
}

/** What a body must move in each `stall` window (1 KiB: any link that works does). */
export const STALL_MIN_BYTES = 1024;

export const DEFAULT_REGISTRY_TIMEOUTS: RegistryTimeouts = { connect: 15, idle: 30, stall: 120 };

export const DEFAULT_ROOT = '/var/lib/koker';
export const DEFAULT_RUN_ROOT = '/run/koker';

export const DEFAULT_CONFIG: KokerConfig = {
  root: DEFAULT_ROOT,
  runRoot: DEFAULT_RUN_ROOT,
  registry: { mirrors: [], insecure: [], concurrency: 3, timeouts: DEFAULT_REGISTRY_TIMEOUTS },
  drivers: {},
  driverModules: [],
  network: { bridge: 'koker0', subnet: '10.69.0.0/16' },
};

export const ConfigToken = Symbol.for('koker.Config');
