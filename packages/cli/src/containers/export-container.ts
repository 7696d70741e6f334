import { readTree, writeTar } from '@koker/fs-overlay';
import { type CliContext } from '../context.js';
import { withContainerRoot } from './container-root.js';

/**
 * A container's root filesystem as a tar stream (`koker export`, the API's export): the root
 * alone, without volumes or other mounts, as Docker exports it. `begin` is called once the
 * container is found, before the first byte (the API answers its status then).
 */
export async function exportContainer(
  ctx: CliContext,
  container: string,
  begin: () => NodeJS.WritableStream | Promise<NodeJS.WritableStream>,
): Promise<void> {
  await withContainerRoot(ctx, container, 'image', async (root) => {
    const output = await begin();
    await writeTar(readTree(root.fd, { topName: '' }), output as never);
    ctx.log.debug({ container }, 'Exported container');
  });
}
