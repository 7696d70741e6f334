import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import { InvalidValueError } from '@koker/core';
import { type KokerEvent } from '@koker/engine';
import { collect, contextOf } from '../../command-context.js';
import { type CliContext } from '../../context.js';
import { journalOf } from '../../containers/container-events.js';
import { anyValue, matchesLabels, parseFilters, type FilterArgs } from '../../filters/filter-args.js';
import { parseFormat, type GoTemplate } from '../../output/template/index.js';

export const EVENT_FILTERS = ['container', 'event', 'image', 'label', 'network', 'type', 'volume'];
const FOLLOW_MS = 100;

/**
 * A time as Docker's `--since/--until` take it: Unix seconds (with fractions), an RFC 3339
 * date or time, or a duration before now (`10m`, `1h30m`). In epoch nanoseconds.
 */
export function parseEventTime(input: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(input)) return Math.round(Number(input) * 1e9);
  const duration = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$/.exec(
    input,
  );
  if (duration && input !== '') {
    const [, h = '0', m = '0', s = '0', ms = '0'] = duration;
    return (now - (Number(h) * 3600 + Number(m) * 60 + Number(s)) * 1000 - Number(ms)) * 1e6;
  }
  const date = Date.parse(input);
  if (!Number.isNaN(date)) return date * 1e6;
  throw new InvalidValueError(
    'time',
    input,
    'expected Unix seconds, an RFC 3339 time, or a duration such as 10m',
  );
}

function matches(event: KokerEvent, filters: FilterArgs): boolean {
  const attributes = event.Actor.Attributes;
  const about = (type: string, value: string) =>
    event.Type === type && (event.Actor.ID.startsWith(value) || attributes.name === value);
  return (
    anyValue(filters, 'type', (v) => v === event.Type) &&
    anyValue(filters, 'event', (v) => v === event.Action) &&
    anyValue(filters, 'container', (v) => about('container', v)) &&
    anyValue(
      filters,
      'image',
      (v) =>
        attributes.image === v || (event.Type === 'image' && (event.Actor.ID === v || attributes.name === v)),
    ) &&
    anyValue(filters, 'network', (v) => about('network', v)) &&
    anyValue(filters, 'volume', (v) => about('volume', v)) &&
    matchesLabels(filters, attributes)
  );
}

/** Docker's line: `2024-05-01T10:00:00.123456789Z container start ID (image=busybox, name=web)`. */
export function eventLine(event: KokerEvent): string {
  const ns = BigInt(event.timeNano);
  const ms = Number(ns / 1_000_000n);
  const fraction = String(ns % 1_000_000_000n).padStart(9, '0');
  const time = `${new Date(ms).toISOString().slice(0, 19)}.${fraction}Z`;
  const attributes = Object.keys(event.Actor.Attributes)
    .sort()
    .map((k) => `${k}=${event.Actor.Attributes[k]}`)
    .join(', ');
  return `${time} ${event.Type} ${event.Action} ${event.Actor.ID}${attributes ? ` (${attributes})` : ''}`;
}

/**
 * The journal's events as `events` shows them: the past ones only with `since` (Docker's rule),
 * then new ones as they come, until `until` or the signal; for `koker events` and the API.
 */
export async function followEvents(
  ctx: CliContext,
  options: { readonly since?: number; readonly until?: number; readonly filters: FilterArgs },
  each: (event: KokerEvent) => void | Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  const { since, until, filters } = options;
  const now = Date.now() * 1e6;
  const journal = journalOf(ctx);
  let { events, next } = journal.read();
  const past = events
    .filter((e) => since !== undefined && e.timeNano >= since && (until === undefined || e.timeNano <= until))
    .sort((a, b) => a.timeNano - b.timeNano);
  for (const event of past) if (matches(event, filters)) await each(event);
  if (until !== undefined && until <= now) return;
  while (!signal.aborted) {
    if (until !== undefined && Date.now() * 1e6 >= until) return;
    await sleep(FOLLOW_MS, undefined, { signal }).catch(() => undefined);
    ({ events, next } = journal.read(next));
    for (const event of events.sort((a, b) => a.timeNano - b.timeNano))
      if ((until === undefined || event.timeNano <= until) && matches(event, filters)) await each(event);
  }
}

/** The event with Docker's older top-level fields too (`status`, `id`, `from`), as the API sends it. */
export function eventDocument(event: KokerEvent): Record<string, unknown> {
  return {
    ...(event.Type === 'container'
      ? { status: event.Action, id: event.Actor.ID, from: event.Actor.Attributes.image }
      : {}),
    ...event,
  };
}

export function eventsCommand(name = 'events'): Command {
  return new Command(name)
    .description('Get real time events from the journal of container, image, network and volume events')
    .option('--since <time>', 'show events since this time (Unix seconds, RFC 3339, or a duration like 10m)')
    .option('--until <time>', 'stream events until this time')
    .option(
      '-f, --filter <filter>',
      'filter (container, event, image, label, network, type, volume)',
      collect,
      [],
    )
    .option('--format <format>', 'format the output using a Go template, or json')
    .action(
      async (
        options: { since?: string; until?: string; filter: string[]; format?: string },
        command: Command,
      ) => {
        const ctx = contextOf(command);
        ctx.requireRoot('events');
        const filters = parseFilters(options.filter, EVENT_FILTERS);
        const format = parseFormat(options.format);
        const template: GoTemplate | undefined =
          format.kind === 'table'
            ? format.template
            : format.kind === 'template'
              ? format.template
              : undefined;
        const since = options.since === undefined ? undefined : parseEventTime(options.since);
        const until = options.until === undefined ? undefined : parseEventTime(options.until);
        const stop = new AbortController();
        const onSignal = () => stop.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        try {
          await followEvents(
            ctx,
            { filters, ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}) },
            (event) => {
              const document = eventDocument(event);
              if (format.kind === 'json') process.stdout.write(`${JSON.stringify(document)}\n`);
              else if (template) process.stdout.write(`${template.execute(document)}\n`);
              else process.stdout.write(`${eventLine(event)}\n`);
            },
            stop.signal,
          );
        } finally {
          process.removeListener('SIGINT', onSignal);
          process.removeListener('SIGTERM', onSignal);
        }
      },
    );
}
