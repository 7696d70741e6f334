import { InvalidValueError } from '../errors/index.js';

/** An OCI platform: `linux/amd64`, `linux/arm64/v8`. */
export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

const NODE_ARCH: Record<string, Platform> = {
  x64: { os: 'linux', architecture: 'amd64' },
  arm64: { os: 'linux', architecture: 'arm64', variant: 'v8' },
  arm: { os: 'linux', architecture: 'arm', variant: 'v7' },
  ia32: { os: 'linux', architecture: '386' },
  ppc64: { os: 'linux', architecture: 'ppc64le' },
  s390x: { os: 'linux', architecture: 's390x' },
  riscv64: { os: 'linux', architecture: 'riscv64' },
};

/** The platform this process runs on, in OCI's words. */
export function hostPlatform(arch: string = process.arch): Platform {
  const platform = NODE_ARCH[arch];
  if (!platform)
    throw new InvalidValueError('platform', arch, 'this CPU architecture has no OCI name known to koker');
  return platform;
}

/** Parses `os/arch[/variant]` as `--platform` takes it. */
export function parsePlatform(input: string): Platform {
  const parts = input.toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/.test(p))) {
    throw new InvalidValueError('platform', input, 'expected os/architecture[/variant], e.g. linux/amd64');
  }
  const [os = '', architecture = '', variant] = parts;
  return variant ? { os, architecture, variant } : { os, architecture };
}

export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}
