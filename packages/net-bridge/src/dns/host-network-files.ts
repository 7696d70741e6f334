import { readFileSync } from 'node:fs';
import { type Logger } from '@koker/core';
import { hostHostsEntries } from './hosts-file.js';
import { containerResolvConf, resolverUpstreams, type ResolverFlags } from './resolv-conf.js';

/** Where the host's DNS and hosts files are read from (tests point these elsewhere). */
export interface HostNetworkFiles {
  readonly resolvConf: string;
  readonly resolvedUpstream: string;
  readonly hosts: string;
}

export const HOST_NETWORK_FILES: HostNetworkFiles = {
  resolvConf: '/etc/resolv.conf',
  resolvedUpstream: '/run/systemd/resolve/resolv.conf',
  hosts: '/etc/hosts',
};

/** The container's resolv.conf, made from the host's (see containerResolvConf). */
export function readContainerResolvConf(
  files: HostNetworkFiles,
  log: Logger,
  dns: readonly string[],
  shareHostNetwork: boolean,
  resolver: ResolverFlags = {},
): string {
  const host = readFileSync(files.resolvConf, 'utf8');
  const resolved = readFileSyncOptional(files.resolvedUpstream);
  const result = containerResolvConf(
    { host, ...(resolved !== undefined ? { resolvedUpstream: resolved } : {}) },
    dns,
    shareHostNetwork,
    resolver,
  );
  log.debug({ source: result.source }, 'Copy nameserver config');
  return result.text;
}

/** Where koker-dns forwards other names: the host's resolvers (see resolverUpstreams). */
export function readResolverUpstreams(files: HostNetworkFiles): string[] {
  const resolved = readFileSyncOptional(files.resolvedUpstream);
  return resolverUpstreams({
    host: readFileSyncOptional(files.resolvConf) ?? '',
    ...(resolved !== undefined ? { resolvedUpstream: resolved } : {}),
  });
}

/** The host's /etc/hosts, for a container sharing its network. */
export function readHostHostsEntries(files: HostNetworkFiles): string[] {
  return hostHostsEntries(readFileSync(files.hosts, 'utf8'));
}

function readFileSyncOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
