import { DEFAULT_REGISTRY } from '@koker/core';

/** Where a registry's API answers. */
export interface Endpoint {
  /** `https://registry-1.docker.io`, `http://127.0.0.1:5000` */
  readonly url: string;
  /** `host[:port]`, the key credentials are stored under. */
  readonly host: string;
  /** A pull-through mirror for docker.io: tried first, and skipped when it fails. */
  readonly mirror: boolean;
}

/** Docker Hub's API host, and the key `docker login` stores Hub credentials under. */
export const DOCKER_HUB_API = 'registry-1.docker.io';
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

/** Loopback addresses are reached over plain HTTP, as Docker does. */
export function isLoopback(host: string): boolean {
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

function schemeFor(host: string, insecure: readonly string[]): 'http' | 'https' {
  return isLoopback(host) || insecure.includes(host) ? 'http' : 'https';
}

function mirrorEndpoint(mirror: string, insecure: readonly string[]): Endpoint {
  const explicit = /^(https?):\/\/([^/]+)\/?$/.exec(mirror);
  if (explicit) return { url: `${explicit[1]}://${explicit[2]}`, host: explicit[2] as string, mirror: true };
  const host = mirror.replace(/\/+$/, '');
  return { url: `${schemeFor(host, insecure)}://${host}`, host, mirror: true };
}

/** The endpoints to try for a registry, in order: docker.io's mirrors first, then the registry. */
export function endpointsFor(
  registry: string,
  options: { mirrors: readonly string[]; insecure: readonly string[] },
): Endpoint[] {
  if (registry === DEFAULT_REGISTRY) {
    return [
      ...options.mirrors.map((m) => mirrorEndpoint(m, options.insecure)),
      { url: `https://${DOCKER_HUB_API}`, host: DEFAULT_REGISTRY, mirror: false },
    ];
  }
  return [{ url: `${schemeFor(registry, options.insecure)}://${registry}`, host: registry, mirror: false }];
}
