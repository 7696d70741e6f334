import { InvalidValueError } from '../errors/index.js';
import { type Digest, parseDigest } from './digest.js';

export const DEFAULT_REGISTRY = 'docker.io';
export const DEFAULT_TAG = 'latest';
const OFFICIAL_NAMESPACE = 'library';
const MAX_NAME_LENGTH = 255;

// The grammar of distribution/reference, written out piece by piece.
const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|-+)';
const PATH_COMPONENT = new RegExp(`^${ALNUM}(?:${SEPARATOR}${ALNUM})*$`);
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?$`,
);
const TAG = /^[\w][\w.-]{0,127}$/;
const IMAGE_ID = /^[a-f0-9]{64}$/;

/**
 * An image reference normalised the way Docker does: `alpine` is
 * `docker.io/library/alpine:latest`; `host:5000/a/b:t` keeps its registry; `name@sha256:...`
 * pins a digest. Instances only come from `parse`, so a value of this type is always valid.
 */
export class ImageReference {
  private constructor(
    /** Registry host with optional port, e.g. `docker.io`, `localhost:5000`. */
    readonly registry: string,
    /** Repository path inside the registry, e.g. `library/alpine`. */
    readonly repository: string,
    /** Tag; `latest` when neither a tag nor a digest was given. */
    readonly tag: string | undefined,
    readonly digest: Digest | undefined,
  ) {}

  static parse(input: string): ImageReference {
    const fail = (reason: string): never => {
      throw new InvalidValueError('reference', input, reason);
    };
    if (input.length === 0) fail('it is empty');
    if (/\s/.test(input)) fail('it contains white space');
    if (IMAGE_ID.test(input)) fail('a 64-hex image ID cannot be used as a repository name');

    let rest = input;
    let digest: Digest | undefined;
    const at = rest.indexOf('@');
    if (at >= 0) {
      const digestText = rest.slice(at + 1);
      try {
        digest = parseDigest(digestText);
      } catch (error) {
        fail(`bad digest: ${(error as InvalidValueError).reason}`);
      }
      rest = rest.slice(0, at);
    }

    let tag: string | undefined;
    const lastSlash = rest.lastIndexOf('/');
    const lastColon = rest.lastIndexOf(':');
    if (lastColon > lastSlash) {
      tag = rest.slice(lastColon + 1);
      rest = rest.slice(0, lastColon);
      if (!TAG.test(tag)) {
        fail(
          tag.length > 128
            ? 'the tag is longer than 128 characters'
            : `bad tag "${tag}" (letters, digits, "_", "." and "-", not starting with "." or "-")`,
        );
      }
    }
    if (rest.length === 0) fail('the repository name is empty');

    let registry = DEFAULT_REGISTRY;
    let path = rest;
    const slash = rest.indexOf('/');
    if (slash >= 0) {
      const first = rest.slice(0, slash);
      // Docker's rule: the first component is a registry when it looks like a host.
      if (
        first.includes('.') ||
        first.includes(':') ||
        first === 'localhost' ||
        first !== first.toLowerCase()
      ) {
        registry = first;
        path = rest.slice(slash + 1);
      }
    }
    if (registry !== DEFAULT_REGISTRY && !DOMAIN.test(registry)) fail(`bad registry host "${registry}"`);
    if (registry === 'index.docker.io') registry = DEFAULT_REGISTRY;
    if (path.length === 0) fail('the repository name is empty');
    if (path !== path.toLowerCase()) fail(`repository name "${path}" must be lower-case`);

    for (const component of path.split('/')) {
      if (component.length === 0) fail('the repository name has an empty path component');
      if (!PATH_COMPONENT.test(component)) {
        fail(
          `bad path component "${component}" (lower-case letters and digits, separated by ".", "_", "__" or "-")`,
        );
      }
    }
    if (registry === DEFAULT_REGISTRY && !path.includes('/')) path = `${OFFICIAL_NAMESPACE}/${path}`;
    if (`${registry}/${path}`.length > MAX_NAME_LENGTH)
      fail(`the name is longer than ${MAX_NAME_LENGTH} characters`);

    return new ImageReference(registry, path, tag ?? (digest ? undefined : DEFAULT_TAG), digest);
  }

  /** `docker.io/library/alpine` */
  get name(): string {
    return `${this.registry}/${this.repository}`;
  }

  /** What to ask the registry for: the digest when pinned, else the tag. */
  get manifestReference(): string {
    return this.digest ?? this.tag ?? DEFAULT_TAG;
  }

  /** The short name Docker shows: `alpine`, `user/app`, `localhost:5000/app`. */
  get familiarName(): string {
    if (this.registry !== DEFAULT_REGISTRY) return this.name;
    return this.repository.startsWith(`${OFFICIAL_NAMESPACE}/`)
      ? this.repository.slice(OFFICIAL_NAMESPACE.length + 1)
      : this.repository;
  }

  /** The same repository with another tag (used to record tags after a pull by digest). */
  withTag(tag: string): ImageReference {
    return ImageReference.parse(`${this.name}:${tag}`);
  }

  /** Fully qualified: `docker.io/library/alpine:latest`, `host/a@sha256:...`. */
  toString(): string {
    return `${this.name}${this.tag ? `:${this.tag}` : ''}${this.digest ? `@${this.digest}` : ''}`;
  }

  /** Familiar form: `alpine:latest`. */
  toFamiliarString(): string {
    return `${this.familiarName}${this.tag ? `:${this.tag}` : ''}${this.digest ? `@${this.digest}` : ''}`;
  }
}
