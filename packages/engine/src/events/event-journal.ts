import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeSync,
  constants,
} from 'node:fs';
import { dirname, join } from 'node:path';

/** The kinds of objects events are about, as Docker's `Type`. */
export type EventType = 'container' | 'image' | 'network' | 'volume';

/** One event, in the shape of Docker's events API (`docker events --format '{{json .}}'`). */
export interface KokerEvent {
  readonly Type: EventType;
  /** `create`, `start`, `die`, `destroy`, `pause`, `pull`, `tag`, `delete`, ... */
  readonly Action: string;
  readonly Actor: { readonly ID: string; readonly Attributes: Readonly<Record<string, string>> };
  readonly scope: 'local';
  /** Seconds and nanoseconds since the epoch. */
  readonly time: number;
  readonly timeNano: number;
}

export interface EventInput {
  readonly type: EventType;
  readonly action: string;
  readonly id: string;
  readonly attributes?: Readonly<Record<string, string>>;
  /** When it happened, if not now (ISO 8601 or epoch milliseconds). */
  readonly at?: string | number;
}

/** Beyond this the journal keeps its newer half: Docker keeps only recent events too. */
const MAX_BYTES = 4 * 1024 * 1024;

/** The time of this process's last event: its events' times never go back. */
let lastEmitted = 0n;

/**
 * The append-only journal of events under koker's root (`events.jsonl`, one JSON object per
 * line). Every koker process appends with O_APPEND, one write(2) per line, so concurrent
 * writers never interleave within a line; `koker events` reads it and follows its growth.
 */
export class EventJournal {
  readonly file: string;

  constructor(root: string) {
    this.file = join(root, 'events.jsonl');
  }

  /** Appends an event; a journal that cannot be written never fails the operation it reports. */
  emit(input: EventInput): KokerEvent | undefined {
    const ms =
      input.at === undefined ? Date.now() : typeof input.at === 'number' ? input.at : Date.parse(input.at);
    const nowNs = process.hrtime.bigint() % 1_000_000n;
    let timeNano = BigInt(Math.floor(ms)) * 1_000_000n + (input.at === undefined ? nowNs : 0n);
    // The clock and hrtime's sub-millisecond part are not aligned: two events of one command in
    // the same millisecond could go back in time, and `events` (sorted by time) would swap them.
    if (input.at === undefined) {
      if (timeNano <= lastEmitted) timeNano = lastEmitted + 1n;
      lastEmitted = timeNano;
    }
    const event: KokerEvent = {
      Type: input.type,
      Action: input.action,
      Actor: { ID: input.id, Attributes: { ...(input.attributes ?? {}) } },
      scope: 'local',
      time: Number(timeNano / 1_000_000_000n),
      timeNano: Number(timeNano),
    };
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const fd = openSync(this.file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
      try {
        writeSync(fd, `${JSON.stringify(event)}\n`);
      } finally {
        closeSync(fd);
      }
      this.trim();
      return event;
    } catch {
      return undefined;
    }
  }

  /** Every event from `offset` (bytes) on, and where the next read starts. */
  read(offset = 0): { events: KokerEvent[]; next: number } {
    try {
      const buffer = readFileSync(this.file);
      // Trimmed since the last read: start over from the beginning of the new file.
      const from = offset > buffer.length ? 0 : offset;
      const chunk = buffer.subarray(from);
      const complete = chunk.lastIndexOf(10) + 1;
      return { events: parseLines(chunk.subarray(0, complete).toString('utf8')), next: from + complete };
    } catch {
      return { events: [], next: offset };
    }
  }

  private trim(): void {
    const size = statSync(this.file).size;
    if (size <= MAX_BYTES) return;
    const text = readFileSync(this.file, 'utf8');
    const half = text.indexOf('\n', text.length / 2) + 1;
    const temporary = `${this.file}.${process.pid}`;
    const fd = openSync(temporary, 'w', 0o600);
    try {
      writeSync(fd, text.slice(half));
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.file);
  }
}

function parseLines(text: string): KokerEvent[] {
  const events: KokerEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      events.push(JSON.parse(line) as KokerEvent);
    } catch {
      // A torn line (a writer killed mid-write) is skipped.
    }
  }
  return events;
}
