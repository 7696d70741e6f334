import { type BrokenRecord } from '@koker/core';
import { type CliContext } from '../context.js';
import { containerFilter } from '../filters/container-filter.js';
import { type ContainerView } from '../output/container-view.js';
import { lifecycleOf } from './lifecycle.js';
import { pausedAmong } from './running-container.js';

export interface ListOptions {
  /** `-a`: stopped containers too. */
  readonly all: boolean;
  /** `--filter key=value`. */
  readonly filters: readonly string[];
  /** `-n`/`-l`: the newest N. */
  readonly last?: number;
  /** A record that does not parse: reported by the caller, never fatal. */
  readonly onBroken?: (broken: BrokenRecord) => void;
}

/** `ps`'s containers, newest first, as each is seen now (paused ones marked): for `ps` and the API. */
export async function listContainers(ctx: CliContext, options: ListOptions): Promise<ContainerView[]> {
  const { records, broken } = await ctx.state.list();
  for (const b of broken) options.onBroken?.(b);
  const matches = await containerFilter([...options.filters], {
    all: records,
    imageIds: async (reference) => {
      const image = await ctx.images.find(reference).catch(() => undefined);
      return image ? [image.id] : [];
    },
  });
  const last = options.last;
  // -n, -l and a status filter look at stopped containers too, as Docker's do
  // (`koker rm $(koker ps -q -f status=exited)`).
  const all = options.all || last !== undefined || options.filters.some((f) => f.startsWith('status='));
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
  return views;
}
