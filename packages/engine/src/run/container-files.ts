import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type NetworkAttachment } from '@koker/core';
import { type ContainerFiles } from '../launch/launch-plan.js';

/** Docker's /etc/hosts lines when the network driver gives none. */
const DEFAULT_HOSTS = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

/** The contents of the container's /etc/hostname, /etc/hosts and /etc/resolv.conf. */
export function containerFileContents(
  hostname: string,
  attachment: Pick<NetworkAttachment, 'hostsEntries' | 'resolvConf'>,
): { hostname: string; hosts: string; resolvConf: string } {
  const hosts = attachment.hostsEntries.length > 0 ? attachment.hostsEntries : DEFAULT_HOSTS;
  return {
    hostname: `${hostname}\n`,
    hosts: `${hosts.join('\n')}\n`,
    resolvConf:
      attachment.resolvConf.endsWith('\n') || attachment.resolvConf === ''
        ? attachment.resolvConf
        : `${attachment.resolvConf}\n`,
  };
}

/**
 * Writes them into the container's own directory, from where they are bind-mounted: the image's
 * files are never written through (a symlink in the image cannot redirect the write).
 */
export async function writeContainerFiles(
  directory: string,
  contents: { hostname: string; hosts: string; resolvConf: string },
  options: { readonly hostsWritten?: boolean } = {},
): Promise<ContainerFiles> {
  const files = {
    hostname: join(directory, 'hostname'),
    hosts: join(directory, 'hosts'),
    resolvConf: join(directory, 'resolv.conf'),
  };
  await Promise.all([
    writeFile(files.hostname, contents.hostname, { mode: 0o644 }),
    // A network driver that resolves names through /etc/hosts wrote it (and keeps it current).
    options.hostsWritten ? Promise.resolve() : writeFile(files.hosts, contents.hosts, { mode: 0o644 }),
    writeFile(files.resolvConf, contents.resolvConf, { mode: 0o644 }),
  ]);
  return files;
}
