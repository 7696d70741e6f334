import { isIP } from 'node:net';
import { InvalidValueError } from '@koker/core';
import { isLoopbackIp } from '../ipam/ipv4.js';

/** Docker's fallback when the host offers no name server a container can reach. */
export const FALLBACK_NAMESERVERS = ['8.8.8.8', '8.8.4.4'];

export interface ResolvConfSources {
  /** The host's /etc/resolv.conf. */
  readonly host: string;
  /** systemd-resolved's list of upstream servers (/run/systemd/resolve/resolv.conf), if present. */
  readonly resolvedUpstream?: string;
}

export interface ContainerResolvConf {
  readonly text: string;
  /** Where the name servers came from, for the log. */
  readonly source: 'host' | 'systemd-resolved' | 'dns-flag' | 'fallback';
}

const DNS_WORD = /^[A-Za-z0-9_.:-]+$/;

/** `--dns-search` domains and `--dns-option` options: one word each, nothing to escape. */
export function parseResolverWords(flag: string, values: readonly string[] | undefined): string[] {
  return (values ?? []).map((value) => {
    if (!DNS_WORD.test(value))
      throw new InvalidValueError(flag, value, 'expected one word, e.g. example.com or ndots:2');
    return value;
  });
}

export function parseDnsServers(servers: readonly string[]): string[] {
  return servers.map((server) => {
    if (isIP(server) === 0) throw new InvalidValueError('--dns', server, 'expected an IPv4 or IPv6 address');
    return server;
  });
}

function nameservers(text: string): string[] {
  return text
    .split('\n')
    .map((line) => /^\s*nameserver\s+(\S+)/.exec(line)?.[1])
    .filter((server): server is string => server !== undefined);
}

/**
 * The container's resolv.conf. A loopback resolver (systemd-resolved's 127.0.0.53) cannot be
 * reached from another network namespace: its upstream servers are used instead, and any
 * remaining loopback server is dropped. `--dns` replaces the servers; search and options stay.
 * In the host's own namespace (`shareHostNetwork`) the host's file is right as it is.
 */
export function containerResolvConf(
  sources: ResolvConfSources,
  dns: readonly string[],
  shareHostNetwork = false,
  resolver: ResolverFlags = {},
): ContainerResolvConf {
  const made = containerServers(sources, dns, shareHostNetwork);
  return { ...made, text: withResolverFlags(made.text, resolver) };
}

/** `--dns-search` and `--dns-option`: they replace the host's `search`/`domain` and `options` lines. */
export interface ResolverFlags {
  readonly search?: readonly string[];
  readonly options?: readonly string[];
}

function withResolverFlags(text: string, flags: ResolverFlags): string {
  const search = flags.search ?? [];
  const options = flags.options ?? [];
  if (search.length === 0 && options.length === 0) return text;
  let lines = text.split('\n').filter((line) => line !== '');
  if (search.length > 0) {
    lines = lines.filter((line) => !/^\s*(search|domain)\s/.test(line));
    // `--dns-search .`: no search domain at all, as Docker.
    const domains = search.filter((d) => d !== '.');
    if (domains.length > 0) lines.push(`search ${domains.join(' ')}`);
  }
  if (options.length > 0) {
    lines = lines.filter((line) => !/^\s*options\s/.test(line));
    lines.push(`options ${options.join(' ')}`);
  }
  return ensureNewline(lines.join('\n'));
}

function containerServers(
  sources: ResolvConfSources,
  dns: readonly string[],
  shareHostNetwork: boolean,
): ContainerResolvConf {
  if (shareHostNetwork && dns.length === 0) return { text: ensureNewline(sources.host), source: 'host' };
  let base = sources.host;
  let source: ContainerResolvConf['source'] = 'host';
  if (!shareHostNetwork && nameservers(base).some(isLoopbackIp) && sources.resolvedUpstream !== undefined) {
    base = sources.resolvedUpstream;
    source = 'systemd-resolved';
  }
  const others = base
    .split('\n')
    .filter((line) => !/^\s*nameserver\s/.test(line) && !/^\s*#/.test(line) && line.trim() !== '');
  let servers = nameservers(base).filter((server) => shareHostNetwork || !isLoopbackIp(server));
  if (dns.length > 0) {
    servers = [...dns];
    source = 'dns-flag';
  } else if (servers.length === 0) {
    servers = FALLBACK_NAMESERVERS;
    source = 'fallback';
  }
  return { text: ensureNewline([...servers.map((s) => `nameserver ${s}`), ...others].join('\n')), source };
}

/** systemd-resolved's stub listener: its own upstream servers are what it forwards to. */
const RESOLVED_STUB = /^127\.0\.0\.5[34]$/;

/**
 * Where koker-dns forwards names it does not hold: the host's IPv4 name servers (it runs in the
 * host's namespace, so a loopback server is reachable), systemd-resolved's stub replaced by its
 * upstream servers; Docker's fallback if none is left. At most 4.
 */
export function resolverUpstreams(sources: ResolvConfSources): string[] {
  const servers = nameservers(sources.host).flatMap((server) =>
    RESOLVED_STUB.test(server) && sources.resolvedUpstream !== undefined
      ? nameservers(sources.resolvedUpstream).filter((s) => !isLoopbackIp(s))
      : [server],
  );
  const ipv4 = [...new Set(servers.filter((server) => isIP(server) === 4))];
  return (ipv4.length > 0 ? ipv4 : FALLBACK_NAMESERVERS).slice(0, 4);
}

/**
 * The resolv.conf of a container whose names koker-dns serves: the network's gateway as the one
 * name server, with the search and options lines the container would have had.
 */
export function resolverResolvConf(gateway: string, containerResolvConf: string): string {
  const others = containerResolvConf
    .split('\n')
    .filter((line) => line !== '' && !/^\s*nameserver\s/.test(line));
  return ensureNewline([`nameserver ${gateway}`, ...others].join('\n'));
}

function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}
