import { InvalidValueError, type ClockOffset, type IdMapping, type TimeOffsets } from '@koker/core';
import { type SpecReader } from './spec-reader.js';

/** The kernel takes at most this many lines in a uid_map or gid_map. */
export const MAX_ID_MAP_LINES = 340;

const ID_LIMIT = 2 ** 32 - 1; // (uid_t)-1 is no id

function parseIdMapping(r: SpecReader): IdMapping {
  const value = (key: string): number => {
    const v = r.integer(key);
    if (v === undefined) throw new InvalidValueError('config.json field', r.at(key), 'required');
    if (v < 0 || v > ID_LIMIT)
      throw new InvalidValueError('config.json field', r.at(key), `${v} is not an id (0 to ${ID_LIMIT})`);
    return v;
  };
  const mapping = { containerId: value('containerID'), hostId: value('hostID'), size: value('size') };
  if (mapping.size === 0) throw new InvalidValueError('config.json field', r.at('size'), 'must be above 0');
  for (const [key, start] of [
    ['containerID', mapping.containerId],
    ['hostID', mapping.hostId],
  ] as const)
    if (start + mapping.size > ID_LIMIT + 1)
      throw new InvalidValueError(
        'config.json field',
        r.at('size'),
        `${key} ${start} + size ${mapping.size} goes past the last id`,
      );
  r.done();
  return mapping;
}

/**
 * linux.uidMappings or gidMappings: ranges the kernel accepts (at most 340 lines, none
 * overlapping another on either side), checked here so that the error names the field.
 */
export function parseIdMappings(parent: SpecReader, key: string): IdMapping[] {
  const readers = parent.objects(key);
  if (readers.length > MAX_ID_MAP_LINES)
    throw new InvalidValueError(
      'config.json field',
      parent.at(key),
      `${readers.length} mappings: the kernel takes at most ${MAX_ID_MAP_LINES}`,
    );
  const mappings = readers.map(parseIdMapping);
  mappings.forEach((a, i) =>
    mappings.slice(0, i).forEach((b, j) => {
      const overlap = (x: number, y: number) => x < y + b.size && y < x + a.size;
      if (overlap(a.containerId, b.containerId) || overlap(a.hostId, b.hostId))
        throw new InvalidValueError(
          'config.json field',
          `${parent.at(key)}[${i}]`,
          `overlaps ${parent.at(key)}[${j}]`,
        );
    }),
  );
  return mappings;
}

function parseClockOffset(r: SpecReader): ClockOffset {
  const secs = r.integer('secs') ?? 0;
  const nanosecs = r.integer('nanosecs') ?? 0;
  if (nanosecs < 0 || nanosecs >= 1e9)
    throw new InvalidValueError(
      'config.json field',
      r.at('nanosecs'),
      `${nanosecs}: expected 0 to 999999999`,
    );
  r.done();
  return { secs, nanosecs };
}

/** linux.timeOffsets: the monotonic and boottime clocks (the only ones a time namespace shifts). */
export function parseTimeOffsets(r: SpecReader): TimeOffsets {
  const monotonic = r.object('monotonic');
  const boottime = r.object('boottime');
  const offsets = {
    ...(monotonic ? { monotonic: parseClockOffset(monotonic) } : {}),
    ...(boottime ? { boottime: parseClockOffset(boottime) } : {}),
  };
  r.done();
  return offsets;
}
