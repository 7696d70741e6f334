import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventJournal } from '../src/index.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('EventJournal', () => {
  it("keeps one process's events in the order they happened, however close together", () => {
    dir = mkdtempSync(join(tmpdir(), 'koker-journal-'));
    const journal = new EventJournal(dir);
    for (let i = 0; i < 500; i++)
      journal.emit({ type: 'image', action: i % 2 ? 'tag' : 'import', id: `${i}` });
    const { events } = journal.read();
    const sorted = [...events].sort((a, b) => a.timeNano - b.timeNano);
    expect(sorted.map((e) => e.Actor.ID)).toEqual(events.map((_, i) => `${i}`));
  });
});
