import { NotFoundError } from '@koker/core';
import { findVolume } from '@koker/engine';
import { volumeView } from '../commands/volume/inspect.js';
import { type CliContext } from '../context.js';

/** A volume by name, as `volume inspect` shows it. */
export async function findVolumeDocument(ctx: CliContext, name: string): Promise<unknown> {
  try {
    return volumeView(await findVolume(name, ctx.volumeDrivers()));
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}
