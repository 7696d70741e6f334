import { Command } from 'commander';
import { shortContainerId } from '@koker/core';
import { contextOf } from '../../command-context.js';
import { lifecycleOf } from '../../containers/lifecycle.js';
import { pausedAmong } from '../../containers/running-container.js';
import { containerFilter } from '../../filters/container-filter.js';
import { CONTAINER_HEADERS, ContainerContext, DEFAULT_PS_FORMAT } from '../../output/container-context.js';
import { idText, type ContainerView } from '../../output/container-view.js';
import { parseFormat, renderItems } from '../../output/template/index.js';

interface LsOptions {
  readonly all?: boolean;
  readonly quiet?: boolean;
  readonly trunc?: boolean;
  readonly format?: string;
  readonly filter?: string[];
  readonly last?: string;
  readonly latest?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `koker ps` / `koker container ls`. */
export function lsCommand(name = 'ls'): Command {
  return new Command(name)
    .description('List containers')
    .option('-a, --all', 'show all containers (default shows just running)')
    .option('-q, --quiet', 'only display container IDs')
    .option('--no-trunc', 'do not truncate output')
    .option('-f, --filter <filter>', 'filter output based on conditions provided (key=value)', collect)
    .option('-n, --last <n>', 'show n last created containers (includes all states)')
    .option('-l, --latest', 'show the latest created container (includes all states)')
    .option(
      '--format <format>',
      'format output: table (default), table TEMPLATE, json, or a Go template ({{.Names}})',
    )
    .action(async (options: LsOptions, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('ps');
      // Parsed before anything is read: a bad template fails first.
      const format = parseFormat(options.format);
      const { records, broken } = await ctx.state.list();
      // A broken record is reported, never fatal: the others are still listed.
      for (const b of broken) {
        const short = shortContainerId(b.id);
        process.stderr.write(`koker: container ${short}: ${b.reason} (koker rm -f ${short} removes it)\n`);
      }
      const matches = await containerFilter(options.filter, {
        all: records,
        imageIds: async (reference) => {
          const image = await ctx.images.find(reference).catch(() => undefined);
          return image ? [image.id] : [];
        },
      });
      const last = options.latest ? 1 : options.last === undefined ? undefined : Number(options.last);
      // -n, -l and a status filter look at stopped containers too, as Docker's do
      // (`koker rm $(koker ps -q -f status=exited)`).
      const all =
        options.all || last !== undefined || (options.filter ?? []).some((f) => f.startsWith('status='));
      const lifecycle = lifecycleOf(ctx);
      const observed: ContainerView[] = [];
      for (const record of [...records].reverse())
        observed.push({ record, seen: await lifecycle.observe(record) });
      const paused = await pausedAmong(
        ctx,
        observed.filter((v) => v.seen.running).map((v) => v.record.id),
      );
      let views: ContainerView[] = [];
      for (const observedView of observed) {
        const { record, seen } = observedView;
        const view = paused.has(record.id) ? { record, seen: { ...seen, paused: true } } : observedView;
        if ((all || seen.running) && matches(view)) views.push(view);
      }
      if (last !== undefined && last >= 0) views = views.slice(0, last);
      const truncate = options.trunc !== false;
      if (options.quiet) {
        process.stdout.write(views.map((v) => `${idText(v.record, truncate)}\n`).join(''));
        return;
      }
      const now = Date.now();
      process.stdout.write(
        renderItems(
          format,
          DEFAULT_PS_FORMAT,
          views.map((v) => new ContainerContext(v, now, truncate)),
          CONTAINER_HEADERS,
        ),
      );
    });
}
