import { UsageError } from '@koker/core';

/** One operand of `koker cp`: a host path, `-` (a tar stream), or CONTAINER:PATH. */
export type CopyOperand =
  | { readonly kind: 'host'; readonly path: string }
  | { readonly kind: 'stream' }
  | { readonly kind: 'container'; readonly container: string; readonly path: string };

/**
 * Docker's split: an absolute path, or one with no ':' or starting with '.' before the first
 * ':' (`./a:b`), is a host path; otherwise the part before the first ':' names a container.
 */
export function parseCopyOperand(arg: string): CopyOperand {
  if (arg === '-') return { kind: 'stream' };
  if (arg.startsWith('/')) return { kind: 'host', path: arg };
  const colon = arg.indexOf(':');
  if (colon < 0 || arg.startsWith('.')) return { kind: 'host', path: arg };
  return { kind: 'container', container: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

export type CopyDirection =
  | {
      readonly kind: 'from-container';
      readonly container: string;
      readonly source: string;
      readonly destination: CopyOperand & { kind: 'host' | 'stream' };
    }
  | {
      readonly kind: 'to-container';
      readonly container: string;
      readonly source: CopyOperand & { kind: 'host' | 'stream' };
      readonly destination: string;
    };

/** Which way `koker cp SRC DEST` copies, with Docker's refusals and their texts. */
export function copyDirection(src: string, dest: string): CopyDirection {
  if (src === '') throw new UsageError('source can not be empty');
  if (dest === '') throw new UsageError('destination can not be empty');
  const source = parseCopyOperand(src);
  const destination = parseCopyOperand(dest);
  if (source.kind === 'container' && destination.kind === 'container')
    throw new UsageError('copying between containers is not supported');
  if (source.kind === 'container') {
    if (source.path === '') throw new UsageError('source can not be empty');
    return {
      kind: 'from-container',
      container: source.container,
      source: source.path,
      destination: destination as CopyOperand & { kind: 'host' | 'stream' },
    };
  }
  if (destination.kind === 'container') {
    if (destination.path === '') throw new UsageError('destination can not be empty');
    return { kind: 'to-container', container: destination.container, source, destination: destination.path };
  }
  throw new UsageError('must specify at least one container source');
}

/**
 * A container path as Docker takes it: relative paths are relative to the container's root
 * (Docker: its working directory is not used either), kept with their trailing '/' or '/.'.
 */
export function containerPath(path: string): string {
  return path.startsWith('/') ? path : `/${path}`;
}
