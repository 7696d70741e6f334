import { parseLogTimeFlag } from '@koker/engine';
import { matchesLabels, parseFilters, type FilterArgs } from './filter-args.js';

/** What prunes are narrowed by (Docker's prune filters): an object's creation time and labels. */
export interface PruneTarget {
  /** RFC 3339. */
  readonly created: string | undefined;
  readonly labels: Readonly<Record<string, string>> | undefined;
}

export type PruneFilter = (target: PruneTarget) => boolean;

/**
 * `until=` (created before a time or a duration ago), `label=key[=value]` (all must hold) and
 * `label!=key[=value]` (none may hold), as dockerd's prunes read them; `extra` keys are the
 * caller's (`dangling` for images).
 */
export function parsePruneFilters(
  flags: readonly string[],
  extra: readonly string[] = [],
): { readonly filters: FilterArgs; readonly accepts: PruneFilter } {
  const filters = parseFilters(flags, ['until', 'label', 'label!', ...extra]);
  const now = Date.now();
  const until = (filters.get('until') ?? []).map((value) =>
    Number(parseLogTimeFlag('until', value, now) / 1_000_000n),
  );
  const notLabels = filters.get('label!') ?? [];
  const accepts: PruneFilter = ({ created, labels }) => {
    if (until.length > 0) {
      const at = created ? Date.parse(created) : Number.NaN;
      if (Number.isNaN(at) || !until.every((limit) => at < limit)) return false;
    }
    if (!matchesLabels(filters, labels)) return false;
    return notLabels.every((value) => !matchesLabels(new Map([['label', [value]]]), labels));
  };
  return { filters, accepts };
}
