import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { spentBuffers } from '../src/spent-buffers.js';

const MiB = 1024 * 1024;
const arrayBuffers = () => process.memoryUsage().arrayBuffers;

/** Allocates and drops 3 MiB of buffers (below V8's own trigger); returns the count before. */
function dropBuffers(): number {
  const before = arrayBuffers();
  for (let i = 0; i < 12; i++) Buffer.allocUnsafe(256 * 1024).fill(1);
  return before;
}

/** Waits (up to 2 s) for the dropped buffers' memory to be given back. */
async function freedSince(before: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (arrayBuffers() - before < MiB) return true;
    await sleep(20);
  }
  return false;
}

describe('spentBuffers', () => {
  it('frees dropped buffers once 4 MiB were reported spent', async () => {
    const before = dropBuffers();
    expect(arrayBuffers() - before).toBeGreaterThanOrEqual(2 * MiB);
    spentBuffers(4 * MiB);
    expect(await freedSince(before)).toBe(true);
  });

  it('adds up what several streams report', async () => {
    const before = dropBuffers();
    expect(arrayBuffers() - before).toBeGreaterThanOrEqual(2 * MiB);
    for (let i = 0; i < 64; i++) spentBuffers(64 * 1024);
    expect(await freedSince(before)).toBe(true);
  });
});
