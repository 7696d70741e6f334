import { join } from 'node:path';
import { type ContainerId } from '@koker/core';

/** Where a container's overlay lives: `<root>/overlay/<id>/{upper,work,merged}`. */
export interface ContainerDirs {
  readonly dir: string;
  readonly upper: string;
  readonly work: string;
  readonly merged: string;
}

export function overlayRoot(root: string): string {
  return join(root, 'overlay');
}

export function containerDirs(root: string, id: ContainerId): ContainerDirs {
  const dir = join(overlayRoot(root), id);
  return { dir, upper: join(dir, 'upper'), work: join(dir, 'work'), merged: join(dir, 'merged') };
}
