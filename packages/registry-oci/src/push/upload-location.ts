import { RegistryError } from '@koker/core';
import { type Endpoint } from '../endpoints.js';

/**
 * The upload URL a registry answered (`Location`, absolute or relative), checked to stay on the
 * registry koker is pushing to: a registry must not send the image's bytes (and the
 * Authorization header that goes with them) anywhere else.
 */
export function uploadLocation(endpoint: Endpoint, location: string | undefined, what: string): URL {
  if (!location) {
    throw new RegistryError(
      `${endpoint.host} started the upload of ${what} without a Location to send it to`,
      {
        hint: 'the registry does not follow the distribution API; report it to its operator',
      },
    );
  }
  let url: URL;
  try {
    url = new URL(location, `${endpoint.url}/`);
  } catch {
    throw new RegistryError(
      `${endpoint.host} sent an upload Location that is not a URL: ${location.slice(0, 200)}`,
    );
  }
  if (url.origin !== new URL(endpoint.url).origin) {
    throw new RegistryError(
      `${endpoint.host} sent the upload of ${what} to another host (${url.origin}): koker only uploads to ${endpoint.url}`,
      {
        hint: 'the registry (or a proxy in front of it) redirects uploads elsewhere; push to that registry directly',
      },
    );
  }
  if (!url.pathname.startsWith('/v2/')) {
    throw new RegistryError(`${endpoint.host} sent an upload Location outside its API: ${url.pathname}`);
  }
  return url;
}

/** The URL that completes an upload: the session's own query (its state) plus `digest=`. */
export function withDigest(location: URL, digest: string): string {
  const url = new URL(location);
  url.searchParams.append('digest', digest);
  return url.toString();
}
