import { Command } from 'commander';
import { StateError, formatDecimalSize, type ContainerRecord } from '@koker/core';
import { collectGarbage, pruneVolumes } from '@koker/engine';
import { contextOf } from '../../command-context.js';
import { emitContainerEvent } from '../../containers/container-events.js';
import { lifecycleOf, teardownDrivers } from '../../containers/lifecycle.js';
import { confirm } from '../../output/confirm.js';
import { dfCommand } from './df.js';
import { eventsCommand } from './events.js';
import { imagesInUse } from '../image/in-use.js';
import { bootCommand } from './boot.js';
import { serviceCommand } from './service.js';

const warning = (all: boolean, volumes: boolean) => `WARNING! This will remove:
  - all stopped containers${volumes ? '\n  - all anonymous volumes not used by at least one container' : ''}
  - everything crashed runs left behind (mounts, network namespaces, veths, cgroups,
    iptables rules, IP leases, half-written records)
  - ${all ? 'all images without at least one container associated to them' : 'all dangling images'}
Are you sure you want to continue?`;

/** `koker system prune`: stopped containers and what crashes left behind. */
export function systemCommand(): Command {
  const group = new Command('system').description('Manage koker itself');
  group.addCommand(eventsCommand());
  group.addCommand(dfCommand());
  group.addCommand(serviceCommand());
  group.addCommand(
    new Command('prune')
      .description('Remove stopped containers, the leftovers of crashed runs, and dangling images')
      .option('-a, --all', 'remove all unused images, not just dangling ones')
      .option('-f, --force', 'do not prompt for confirmation')
      .option('--volumes', 'remove anonymous volumes no container uses, too')
      .action(async (options: { all?: boolean; force?: boolean; volumes?: boolean }, command: Command) => {
        const ctx = contextOf(command);
        ctx.requireRoot('system prune');
        if (!options.force && !(await confirm(warning(options.all === true, options.volumes === true))))
          return;
        const removed: ContainerRecord[] = [];
        const report = await collectGarbage(
          ctx.state,
          lifecycleOf(ctx),
          await teardownDrivers(ctx)(),
          ctx.log,
          (record) => removed.push(record),
        );
        for (const record of removed) await emitContainerEvent(ctx, record, 'destroy');
        const out: string[] = [];
        if (report.removed.length > 0) out.push('Deleted Containers:', ...report.removed);
        const crashed = [
          ...report.settled.map((id) => `settled ${id}`),
          ...report.orphans.map((id) => `released what ${id} held (it had no record)`),
          ...report.broken.map((id) => `removed the broken record of ${id}`),
          ...report.swept.map((path) => `removed ${path}`),
        ];
        if (crashed.length > 0) {
          if (out.length > 0) out.push('');
          out.push('Cleaned up after crashes:', ...crashed.map((line) => `  ${line}`));
        }
        // Volumes after the containers: a container removed above no longer uses its volumes.
        let volumeSpace = 0;
        if (options.volumes) {
          const volumes = await pruneVolumes(
            { all: false },
            { volumes: ctx.volumeDrivers(), state: ctx.state, log: ctx.log },
          );
          volumeSpace = volumes.reclaimed;
          if (volumes.deleted.length > 0) {
            if (out.length > 0) out.push('');
            out.push('Deleted Volumes:', ...volumes.deleted);
          }
        }
        // Images last: a container removed above no longer keeps its image.
        await ctx.images.prepare();
        const images = await ctx.images.prune({ all: options.all === true, inUse: await imagesInUse(ctx) });
        if (images.deleted.length > 0) {
          if (out.length > 0) out.push('');
          out.push('Deleted Images:');
          out.push(...images.untagged.map((tag) => `untagged: ${tag}`));
          out.push(...images.deleted.map((id) => `deleted: ${id}`));
          out.push(...images.deletedLayers.map((layer) => `deleted: ${layer}`));
        }
        if (out.length > 0) out.push('');
        out.push(`Total reclaimed space: ${formatDecimalSize(images.reclaimed + volumeSpace)}`);
        process.stdout.write(`${out.join('\n')}\n`);
        if (report.failed.length > 0) {
          throw new StateError(
            `could not clean up ${report.failed.length} container(s): ${report.failed.map((f) => `${f.id.slice(0, 12)}: ${f.error}`).join('; ')}`,
            { hint: 'fix the cause (see --debug) and run koker system prune again' },
          );
        }
      }),
  );
  group.addCommand(bootCommand());
  return group;
}
