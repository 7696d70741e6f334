import { type ContainerId, type PortMapping } from '@koker/core';

export type IptablesTable = 'nat' | 'filter' | 'mangle';

/** One rule koker owns: where it goes and its match/target arguments (without the comment). */
export interface IptablesRule {
  readonly table: IptablesTable;
  readonly chain: string;
  /** `insert` puts the rule first in its chain, ahead of any DROP another tool added. */
  readonly position: 'append' | 'insert';
  readonly args: readonly string[];
  /** `koker:<owner>:<what>`: how koker finds its rules again, also after a crash. */
  readonly comment: string;
}

export function bridgeComment(bridge: string, what: string): string {
  return `koker:${bridge}:${what}`;
}

export function containerCommentPrefix(id: ContainerId): string {
  return `koker:${id}:`;
}

/**
 * Isolation between networks, in mangle FORWARD: it is traversed before filter FORWARD, so these
 * DROPs come before every bridge's ACCEPTs whatever order the bridges were made in (in filter,
 * a later bridge's inserted ACCEPT would pass ahead of an earlier bridge's DROP). Into a bridge
 * from anywhere else only answers and published ports (DNAT); an internal network, nothing in
 * and nothing out.
 */
function isolationRules(bridge: string, internal: boolean): IptablesRule[] {
  if (internal) {
    return [
      {
        table: 'mangle',
        chain: 'FORWARD',
        position: 'insert',
        args: ['-i', bridge, '!', '-o', bridge, '-j', 'DROP'],
        comment: bridgeComment(bridge, 'internal-out'),
      },
      {
        table: 'mangle',
        chain: 'FORWARD',
        position: 'insert',
        args: ['-o', bridge, '!', '-i', bridge, '-j', 'DROP'],
        comment: bridgeComment(bridge, 'internal-in'),
      },
    ];
  }
  return [
    {
      table: 'mangle',
      chain: 'FORWARD',
      position: 'insert',
      args: [
        '-o',
        bridge,
        '!',
        '-i',
        bridge,
        '-m',
        'conntrack',
        '!',
        '--ctstate',
        'RELATED,ESTABLISHED,DNAT',
        '-j',
        'DROP',
      ],
      comment: bridgeComment(bridge, 'isolation'),
    },
  ];
}

/**
 * A user network's name resolver (koker-dns) on its gateway: DNS from the bridge to the gateway
 * is accepted even under an INPUT policy that drops the rest, and nothing else is opened.
 */
function resolverRules(bridge: string, gateway: string): IptablesRule[] {
  return (['udp', 'tcp'] as const).map((protocol) => ({
    table: 'filter',
    chain: 'INPUT',
    position: 'insert',
    args: [
      '-i',
      bridge,
      '-d',
      `${gateway}/32`,
      '-p',
      protocol,
      '-m',
      protocol,
      '--dport',
      '53',
      '-j',
      'ACCEPT',
    ],
    comment: bridgeComment(bridge, `dns-${protocol}`),
  }));
}

/**
 * The rules a bridge needs once, whatever its containers: NAT out (not for an internal network),
 * forwarding, isolation from other networks, localhost; on a user network (`resolverGateway`),
 * DNS to its resolver.
 */
export function bridgeRules(
  bridge: string,
  subnet: string,
  internal = false,
  resolverGateway?: string,
): IptablesRule[] {
  const rules = bridgeRulesWithNat(bridge, subnet);
  return [
    ...(internal ? rules.filter((rule) => rule.comment !== bridgeComment(bridge, 'masquerade')) : rules),
    ...isolationRules(bridge, internal),
    ...(resolverGateway !== undefined ? resolverRules(bridge, resolverGateway) : []),
  ];
}

function bridgeRulesWithNat(bridge: string, subnet: string): IptablesRule[] {
  return [
    {
      // Containers reach other hosts with the host's address.
      table: 'nat',
      chain: 'POSTROUTING',
      position: 'append',
      args: ['-s', subnet, '!', '-o', bridge, '-j', 'MASQUERADE'],
      comment: bridgeComment(bridge, 'masquerade'),
    },
    {
      // Hairpin: a container that reached a published port through the host's address is
      // DNAT-ed back onto its own bridge; the answer would go straight back over the bridge
      // with the wrong source. Masquerading it makes the answer return through the host.
      table: 'nat',
      chain: 'POSTROUTING',
      position: 'append',
      args: ['-s', subnet, '-o', bridge, '-m', 'conntrack', '--ctstate', 'DNAT', '-j', 'MASQUERADE'],
      comment: bridgeComment(bridge, 'hairpin'),
    },
    {
      // Published ports reached at 127.0.0.1 leave for the bridge with a loopback source that
      // the container could not answer: give them the bridge's address.
      table: 'nat',
      chain: 'POSTROUTING',
      position: 'append',
      args: ['-s', '127.0.0.0/8', '-o', bridge, '-j', 'MASQUERADE'],
      comment: bridgeComment(bridge, 'localhost'),
    },
    {
      table: 'filter',
      chain: 'FORWARD',
      position: 'insert',
      args: ['-i', bridge, '-j', 'ACCEPT'],
      comment: bridgeComment(bridge, 'forward-out'),
    },
    {
      // Into the bridge only answers and published ports, even under an ACCEPT-all policy elsewhere.
      table: 'filter',
      chain: 'FORWARD',
      position: 'insert',
      args: ['-o', bridge, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED,DNAT', '-j', 'ACCEPT'],
      comment: bridgeComment(bridge, 'forward-in'),
    },
    {
      // route_localnet on the bridge must not let containers reach the host's 127.0.0.1 services;
      // answers to the host's own connections to published ports (de-NAT-ed to 127.0.0.1) pass.
      table: 'filter',
      chain: 'INPUT',
      position: 'insert',
      args: [
        '-i',
        bridge,
        '-d',
        '127.0.0.0/8',
        '-m',
        'conntrack',
        '!',
        '--ctstate',
        'RELATED,ESTABLISHED',
        '-j',
        'DROP',
      ],
      comment: bridgeComment(bridge, 'localhost-guard'),
    },
  ];
}

/**
 * DNAT for published ports: PREROUTING for packets from other hosts, OUTPUT for the host's own
 * (127.0.0.1 included, with route_localnet on the bridge).
 */
export function portRules(
  id: ContainerId,
  bridge: string,
  containerIp: string,
  ports: readonly PortMapping[],
): IptablesRule[] {
  return ports.flatMap((port) => {
    const destination =
      port.hostIp === '0.0.0.0' ? ['-m', 'addrtype', '--dst-type', 'LOCAL'] : ['-d', `${port.hostIp}/32`];
    const match = [
      '-p',
      port.protocol,
      ...destination,
      '-m',
      port.protocol,
      '--dport',
      String(port.hostPort),
    ];
    const target = ['-j', 'DNAT', '--to-destination', `${containerIp}:${port.containerPort}`];
    const comment = `${containerCommentPrefix(id)}${port.hostIp}:${port.hostPort}/${port.protocol}`;
    return [
      {
        table: 'nat',
        chain: 'PREROUTING',
        position: 'append',
        // From the bridge too: a container reaching a published port at the host's address
        // (hairpin); the bridge's hairpin MASQUERADE makes the answers come back through the host.
        args: [...match, ...target],
        comment,
      },
      { table: 'nat', chain: 'OUTPUT', position: 'append', args: [...match, ...target], comment },
    ] satisfies IptablesRule[];
  });
}
