import { InvalidValueError, type ContainerRecord } from '@koker/core';
import { labelsOf, networksOf } from '../output/container-context.js';
import { type ContainerView } from '../output/container-view.js';
import { anyValue, matchesLabels, parseFilters, regexMatch, type FilterArgs } from './filter-args.js';

export const PS_FILTERS = [
  'ancestor',
  'before',
  'exited',
  'health',
  'id',
  'label',
  'name',
  'network',
  'since',
  'status',
  'volume',
] as const;

const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];
const HEALTH = ['starting', 'healthy', 'unhealthy', 'none'];

/** What a filter needs besides the container: the others (before/since) and image matching (ancestor). */
export interface ContainerFilterScope {
  /** Records of every container, to resolve `before`/`since` (ID, prefix or name). */
  readonly all: readonly ContainerRecord[];
  /** Image IDs a reference or ID names (`ancestor`). */
  readonly imageIds: (reference: string) => Promise<readonly string[]>;
}

/** The test for `ps --filter`, built once (values checked and resolved) and applied per container. */
export async function containerFilter(
  flags: readonly string[] | undefined,
  scope: ContainerFilterScope,
): Promise<(view: ContainerView) => boolean> {
  const filters = parseFilters(flags, PS_FILTERS);
  for (const status of filters.get('status') ?? [])
    if (!STATUSES.includes(status))
      throw new InvalidValueError('filter', `status=${status}`, `invalid filter 'status=${status}'`);
  for (const health of filters.get('health') ?? [])
    if (!HEALTH.includes(health))
      throw new InvalidValueError('filter', `health=${health}`, `invalid filter 'health=${health}'`);
  for (const code of filters.get('exited') ?? [])
    if (!/^-?\d+$/.test(code))
      throw new InvalidValueError('filter', `exited=${code}`, 'the exit code must be a number');
  const created = (key: string) => {
    const values = filters.get(key);
    if (!values) return undefined;
    return values.map((value) => {
      const record = findRecord(scope.all, value);
      if (!record) throw new InvalidValueError('filter', `${key}=${value}`, `no such container: ${value}`);
      return Date.parse(record.created);
    });
  };
  const before = created('before');
  const since = created('since');
  const ancestors = new Set<string>();
  for (const reference of filters.get('ancestor') ?? [])
    for (const id of await scope.imageIds(reference)) ancestors.add(id);
  return (view) => matchesContainer(view, filters, { before, since, ancestors });
}

function findRecord(all: readonly ContainerRecord[], value: string): ContainerRecord | undefined {
  return (
    all.find((r) => r.id === value) ??
    all.find((r) => r.name === value) ??
    (value.length > 0 ? all.find((r) => r.id.startsWith(value)) : undefined)
  );
}

/** Health as the checker last wrote it (`none` without a health check). */
function healthOf(seen: ContainerView['seen']): string {
  return seen.health?.Status ?? 'none';
}

function matchesContainer(
  { record, seen }: ContainerView,
  filters: FilterArgs,
  resolved: { before?: number[]; since?: number[]; ancestors: ReadonlySet<string> },
): boolean {
  const created = Date.parse(record.created);
  const status = (seen as { paused?: boolean }).paused ? 'paused' : seen.status;
  return (
    anyValue(filters, 'name', (v) => regexMatch(v, record.name) || regexMatch(v, `/${record.name}`)) &&
    anyValue(filters, 'id', (v) => regexMatch(v, record.id)) &&
    matchesLabels(filters, labelsOf(record)) &&
    anyValue(filters, 'status', (v) => v === status) &&
    anyValue(filters, 'exited', (v) => seen.status === 'exited' && (seen.exitCode ?? 0) === Number(v)) &&
    anyValue(
      filters,
      'ancestor',
      (v) => resolved.ancestors.has(record.image.id) || sameReference(v, record.image.reference),
    ) &&
    (resolved.before === undefined || resolved.before.every((t) => created < t)) &&
    (resolved.since === undefined || resolved.since.every((t) => created > t)) &&
    anyValue(filters, 'network', (v) => networksOf(record).includes(v)) &&
    anyValue(filters, 'volume', (v) =>
      // Docker's rule: a volume's name, or a mount's source or destination.
      (record.mounts ?? []).some((m) => m.name === v || m.source === v || m.destination === v),
    ) &&
    anyValue(filters, 'health', (v) => healthOf(seen) === v)
  );
}

/** `busybox`, `busybox:latest` and `docker.io/library/busybox:latest` are one image name. */
function sameReference(a: string, b: string): boolean {
  const normal = (ref: string) => {
    let name = ref.replace(/^docker\.io\//, '').replace(/^library\//, '');
    if (!/[:@][^/]*$/.test(name)) name += ':latest';
    return name;
  };
  return normal(a) === normal(b);
}
