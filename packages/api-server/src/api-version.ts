import { ApiError } from './api-error.js';

/** The Engine API versions koker serves: Docker 20.10's (1.41) to Docker 26's (1.45). */
export const MIN_API_VERSION = '1.41';
export const MAX_API_VERSION = '1.45';

/** A request path split from its optional `/v1.xx` prefix, and the version it asked for. */
export interface VersionedPath {
  /** The path without the prefix, e.g. `/containers/json`. */
  readonly path: string;
  /** The version the client asked for; the newest served when it gave none. */
  readonly version: string;
}

const PREFIX = /^\/v(\d+)\.(\d+)(?=\/|$)/;

/** Compares two `MAJOR.MINOR` versions as numbers (1.9 < 1.41). */
export function compareApiVersions(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am === bm ? an - bn : am - bm;
}

/**
 * The `/v1.xx` prefix read and checked: older than 1.41 is refused as dockerd refuses it; a newer
 * one is served as the newest koker knows, as dockerd does for clients ahead of it.
 */
export function versionedPath(pathname: string): VersionedPath {
  const match = PREFIX.exec(pathname);
  if (!match) return { path: pathname, version: MAX_API_VERSION };
  const version = `${match[1]}.${match[2]}`;
  const path = pathname.slice(match[0].length) || '/';
  if (compareApiVersions(version, MIN_API_VERSION) < 0)
    throw new ApiError(
      400,
      `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
    );
  return { path, version: compareApiVersions(version, MAX_API_VERSION) > 0 ? MAX_API_VERSION : version };
}
