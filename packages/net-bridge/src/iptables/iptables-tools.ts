import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { HostError } from '@koker/core';

export type IptablesVariant = 'nf_tables' | 'legacy';

/** The iptables programs of one backend: the rule tool, the dump and the batch loader. */
export interface IptablesTools {
  readonly variant: IptablesVariant;
  readonly iptables: string;
  readonly save: string;
  readonly restore: string;
}

const SEARCH_PATH = ['/usr/sbin', '/sbin', '/usr/bin', '/bin', '/usr/local/sbin'];

/** `xtables-nft-multi` (Debian's alternative target) or `iptables-legacy` name their backend. */
export function variantFromProgramName(name: string): IptablesVariant | undefined {
  if (/nft/.test(name)) return 'nf_tables';
  if (/legacy/.test(name)) return 'legacy';
  return undefined;
}

/** `iptables v1.8.9 (nf_tables)` / `iptables v1.8.9 (legacy)`; before 1.8 there was only legacy. */
export function variantFromVersion(output: string): IptablesVariant {
  const match = /\((nf_tables|legacy)\)/.exec(output);
  return (match?.[1] as IptablesVariant | undefined) ?? 'legacy';
}

function find(name: string, path: readonly string[]): string | undefined {
  return path.map((dir) => join(dir, name)).find((file) => existsSync(file));
}

/**
 * Finds `iptables` and tells whether it drives nf_tables or the legacy backend, from where its
 * symlinks lead (no process started) or, failing that, from `iptables --version`. The dump and
 * batch tools are then taken from the same backend, so rules are read where they were written.
 */
export function detectIptables(path: readonly string[] = SEARCH_PATH): IptablesTools {
  const iptables = find('iptables', path);
  if (!iptables) {
    throw new HostError('iptables is not installed: bridge networking needs it for NAT and published ports', {
      hint: 'install it (apt-get install iptables), or run containers with --network none or host',
    });
  }
  const target = realpathSync(iptables);
  const variant =
    variantFromProgramName(basename(target)) ??
    variantFromVersion(execFileSync(iptables, ['--version'], { encoding: 'utf8' }));
  const dir = dirname(iptables);
  const prefix = variant === 'nf_tables' ? 'iptables-nft' : 'iptables-legacy';
  const tool = (suffix: string) =>
    find(`${prefix}-${suffix}`, [dir, ...path]) ??
    find(`iptables-${suffix}`, [dir, ...path]) ??
    `iptables-${suffix}`;
  return { variant, iptables, save: tool('save'), restore: tool('restore') };
}
