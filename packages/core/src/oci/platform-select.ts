import { formatPlatform, type Platform } from '../domain/platform.js';
import { ImageFormatError } from './image-format-error.js';
import { type PlatformDescriptor } from './manifest.js';

const ARCH_ALIASES: Readonly<Record<string, string>> = {
  x86_64: 'amd64',
  'x86-64': 'amd64',
  aarch64: 'arm64',
};
const DEFAULT_VARIANT: Readonly<Record<string, string>> = { arm64: 'v8', arm: 'v7' };

/** os/architecture/variant with the usual aliases resolved and default variants filled in. */
export function normalizePlatform(platform: Platform): Platform {
  const architecture = ARCH_ALIASES[platform.architecture] ?? platform.architecture;
  const variant = platform.variant ?? DEFAULT_VARIANT[architecture];
  // amd64 variants (v2, v3) are CPU feature levels every index leaves optional: compare without.
  return architecture === 'amd64' || variant === undefined
    ? { os: platform.os, architecture }
    : { os: platform.os, architecture, variant };
}

function matches(candidate: Platform, wanted: Platform): boolean {
  const a = normalizePlatform(candidate);
  const b = normalizePlatform(wanted);
  return a.os === b.os && a.architecture === b.architecture && a.variant === b.variant;
}

/**
 * The index entry for `wanted`, wherever it is in the list (hosts are not always listed first,
 * and entries such as attestations have platform unknown/unknown).
 */
export function selectPlatform(
  entries: readonly PlatformDescriptor[],
  wanted: Platform,
  what: string,
): PlatformDescriptor {
  const found = entries.find((entry) => entry.platform && matches(entry.platform, wanted));
  if (found) return found;
  const available = entries
    .map((e) => (e.platform ? formatPlatform(e.platform) : undefined))
    .filter((p): p is string => p !== undefined && !p.startsWith('unknown'));
  throw new ImageFormatError(
    `no matching manifest for ${formatPlatform(wanted)} in ${what} (it has ${available.join(', ') || 'no platforms'})`,
    { hint: available.length ? `choose one with --platform, e.g. --platform ${available[0]}` : undefined },
  );
}
