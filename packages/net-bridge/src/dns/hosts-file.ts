const LOCALHOST_LINES = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

/**
 * The lines of a container's /etc/hosts: localhost, then its own address with its hostname and
 * name (a container without an address, `--network none`, gets its names on 127.0.1.1 as Debian
 * does for a host without one).
 */
export function containerHostsEntries(options: {
  hostname: string;
  name: string;
  ipAddress?: string;
}): string[] {
  const names = [...new Set([options.hostname, options.name].filter(Boolean))].join(' ');
  return [...LOCALHOST_LINES, `${options.ipAddress ?? '127.0.1.1'}\t${names}`];
}

/** `--network host`: the host's own /etc/hosts, line by line. */
export function hostHostsEntries(hostFile: string): string[] {
  const lines = hostFile.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
