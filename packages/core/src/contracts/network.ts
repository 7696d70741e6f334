import { type ContainerId } from '../domain/container-id.js';
import { contractKey } from './contract-key.js';

/**
 * - `bridge` (default): a network namespace of its own, a veth pair to the bridge, an address.
 * - `none`: a network namespace of its own with only `lo` (up).
 * - `host`: the host's network namespace.
 * - `container`: another container's network namespace (`--network container:NAME`), with its
 *   /etc/hosts and resolv.conf.
 */
export type NetworkMode = 'bridge' | 'none' | 'host' | 'container';

export type PortProtocol = 'tcp' | 'udp';

export interface PortMapping {
  /** Host address the port is published on; `0.0.0.0` means every address of the host. */
  readonly hostIp: string;
  /** In a request, 0 asks the driver for a free port; in an attachment, the port it chose. */
  readonly hostPort: number;
  readonly containerPort: number;
  readonly protocol: PortProtocol;
}

export interface NetworkRequest {
  readonly mode: NetworkMode;
  readonly hostname: string;
  readonly name: string;
  readonly ports: readonly PortMapping[];
  /** Name servers for the container's resolv.conf (`--dns`); empty means the host's. */
  readonly dns: readonly string[];
  /** `--dns-search`: replaces the host's search domains (`.` for none). */
  readonly dnsSearch?: readonly string[];
  /** `--dns-option`: replaces the host's resolver options. */
  readonly dnsOptions?: readonly string[];
  /**
   * `--add-host NAME:IP`: more lines of /etc/hosts. `ip` may be `host-gateway`: the host's
   * address as the container reaches it (its network's gateway).
   */
  readonly extraHosts?: readonly { readonly name: string; readonly ip: string }[];
  /**
   * A user network's name or ID (`--network NAME`), with mode `bridge`: the driver attaches the
   * container to that network instead of its default one (a `NotFoundError` if there is none).
   */
  readonly network?: string;
  /**
   * Mode `container`: the container's name or ID as given (`--network container:NAME`), looked
   * up again at each start (its process, hence its namespace, changes).
   */
  readonly container?: string;
  /**
   * Mode `container`: the running container whose namespace is joined, as the engine found it
   * (its namespace file, e.g. `/proc/PID/ns/net`, and the contents of its /etc/hosts and
   * resolv.conf, which the new container shares).
   */
  readonly joinContainer?: {
    readonly netnsPath: string;
    readonly hostsEntries: readonly string[];
    readonly resolvConf: string;
  };
  /** `--network-alias`: more names the container has on its user network. */
  readonly aliases?: readonly string[];
  /** `--ip`: the address wanted on the user network (a `ConflictError` if taken). */
  readonly ip?: string;
  /**
   * The host file the container's /etc/hosts is bind-mounted from. A driver that makes names
   * resolve through it writes it itself (rewriting it in place as containers come and go on the
   * network) and says so with `hostsWritten`; otherwise the engine writes `hostsEntries` there.
   */
  readonly hostsFile?: string;
}

export interface NetworkAttachment {
  readonly mode: NetworkMode;
  /**
   * The network namespace file the launcher joins (setns) before pivot_root: present for
   * `bridge`. For `none`, the driver's namespace with only `lo` (up), or absent: the launcher then
   * makes a fresh namespace and brings `lo` up. Absent for `host`.
   */
  readonly netnsPath?: string;
  readonly ipAddress?: string;
  /** Prefix length of `ipAddress` on the container's eth0 (e.g. 16). */
  readonly prefixLength?: number;
  readonly gateway?: string;
  /** The bridge eth0's peer is attached to (bridge mode). */
  readonly bridge?: string;
  /** The published ports, with every host port decided. */
  readonly ports: readonly PortMapping[];
  /** The whole contents of the container's /etc/resolv.conf. */
  readonly resolvConf: string;
  /** Every line of the container's /etc/hosts, in order (localhost lines, then its own address). */
  readonly hostsEntries: readonly string[];
  /** The driver wrote `NetworkRequest.hostsFile` (and keeps it current): the engine leaves it alone. */
  readonly hostsWritten?: boolean;
}

/** What `koker network create` asks for; absent fields are the driver's to choose. */
export interface UserNetworkSpec {
  readonly name: string;
  /** IPv4 CIDR (`--subnet`); absent: a free one from the driver's pool. */
  readonly subnet?: string;
  /** `--gateway`: the bridge's address in the subnet; absent: the first host address. */
  readonly gateway?: string;
  /** `--ip-range`: a CIDR inside the subnet that addresses are handed out from. */
  readonly ipRange?: string;
  /** `--internal`: no way out of the network (no NAT, no forwarding to other interfaces). */
  readonly internal: boolean;
  readonly labels: Readonly<Record<string, string>>;
  /** Driver options (`--opt`), e.g. `com.docker.network.bridge.name`. */
  readonly options: Readonly<Record<string, string>>;
}

/** A user network as a driver keeps it (what `network ls` and `network inspect` show). */
export interface UserNetwork {
  /** 64 hex digits. */
  readonly id: string;
  readonly name: string;
  /** The driver that provides it (its `NetworkDriver.name`). */
  readonly driver: string;
  /** ISO 8601. */
  readonly created: string;
  readonly subnet: string;
  readonly gateway: string;
  readonly ipRange?: string;
  readonly internal: boolean;
  readonly labels: Readonly<Record<string, string>>;
  readonly options: Readonly<Record<string, string>>;
  /** The containers attached now, with their address on this network. */
  readonly containers: readonly {
    readonly id: ContainerId;
    readonly ipAddress: string;
    /** The MAC address of its interface on this network, if the driver knows it. */
    readonly macAddress?: string;
    /** `--network-alias` / `network connect --alias`: its names on this network besides its own. */
    readonly aliases?: readonly string[];
  }[];
}

/**
 * User networks (`koker network ...`): a driver that offers them implements this. Names are
 * unique per koker root; `find` takes a name, a full ID or an unambiguous ID prefix.
 */
export interface UserNetworks {
  /** A `ConflictError` if the name is taken or the subnet overlaps another network or route. */
  create(spec: UserNetworkSpec): Promise<UserNetwork>;
  list(): Promise<UserNetwork[]>;
  /** A `NotFoundError` if no network matches. */
  find(nameOrId: string): Promise<UserNetwork>;
  /**
   * Deletes the network with everything it made (bridge, rules, address table); a
   * `ConflictError` while containers are attached.
   */
  remove(nameOrId: string): Promise<void>;
  /**
   * `network connect`: one more interface for a running container, in its live namespace.
   * A `ConflictError` if it is already on the network. Optional: a driver may not offer it.
   */
  connect?(
    nameOrId: string,
    id: ContainerId,
    request: ConnectRequest,
  ): Promise<{ readonly ipAddress: string }>;
  /** `network disconnect`: removes what `connect` made; a `NotFoundError` if it was not connected. */
  disconnect?(nameOrId: string, id: ContainerId): Promise<void>;
}

/** What `network connect` knows of the running container. */
export interface ConnectRequest {
  /** Its network namespace (e.g. `/proc/PID/ns/net`). */
  readonly netnsPath: string;
  readonly name: string;
  readonly hostname: string;
  readonly aliases?: readonly string[];
  readonly ip?: string;
  /** The host file of its /etc/hosts, rewritten so that names on the network resolve. */
  readonly hostsFile?: string;
}

/** Container networking: bridge + veth + NAT, or none, or the host's. */
export interface NetworkDriver {
  readonly name: string;
  /** User networks, when the driver offers them (`--network NAME`). */
  readonly networks?: UserNetworks;
  attach(id: ContainerId, request: NetworkRequest): Promise<NetworkAttachment>;
  /** Removes everything `attach` made; missing pieces are not an error. */
  detach(id: ContainerId): Promise<void>;
  /** IDs holding network resources, for garbage collection after crashes. */
  list(): Promise<ContainerId[]>;
}

export const Network = contractKey<NetworkDriver>('network');
