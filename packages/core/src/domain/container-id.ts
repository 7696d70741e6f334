import { randomBytes } from 'node:crypto';
import { ConflictError, InvalidValueError, NotFoundError } from '../errors/index.js';
import { type Brand } from './brand.js';

/** A container's identity: 64 lower-case hex digits, as Docker's. */
export type ContainerId = Brand<string, 'ContainerId'>;

const FULL_ID = /^[0-9a-f]{64}$/;

export function parseContainerId(input: string): ContainerId {
  if (!FULL_ID.test(input))
    throw new InvalidValueError('container ID', input, 'expected 64 lower-case hex digits');
  return input as ContainerId;
}

/** A fresh random ID. Like Docker, never all digits, so a short ID is never read as a number. */
export function newContainerId(): ContainerId {
  for (;;) {
    const id = randomBytes(32).toString('hex');
    if (/[a-f]/.test(id.slice(0, 12))) return id as ContainerId;
  }
}

/** The 12-digit form shown by `ls`. */
export function shortContainerId(id: ContainerId): string {
  return id.slice(0, 12);
}

/**
 * Finds the one ID that starts with `prefix`. An exact match wins; several matches are a
 * conflict that names how many; none is not-found.
 */
export function resolveContainerIdPrefix(prefix: string, ids: Iterable<ContainerId>): ContainerId {
  if (!/^[0-9a-f]{1,64}$/.test(prefix)) throw new NotFoundError(`no such container: ${prefix}`);
  const matches: ContainerId[] = [];
  for (const id of ids) {
    if (id === prefix) return id;
    if (id.startsWith(prefix)) matches.push(id);
  }
  if (matches.length === 0) throw new NotFoundError(`no such container: ${prefix}`);
  if (matches.length > 1) {
    throw new ConflictError(
      `container ID prefix "${prefix}" is ambiguous: it matches ${matches.length} containers`,
      {
        hint: 'give more digits of the ID, or the container name',
      },
    );
  }
  return matches[0] as ContainerId;
}
