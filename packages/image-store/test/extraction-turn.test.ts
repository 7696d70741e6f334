import { describe, expect, it } from 'vitest';
import { ExtractionTurn } from '../src/extraction-turn.js';

describe('ExtractionTurn', () => {
  it('is held by one at a time and handed to the waiters in arrival order', async () => {
    const turn = new ExtractionTurn();
    expect(turn.takeIfFree()).toBe(true);
    expect(turn.takeIfFree()).toBe(false);
    const order: string[] = [];
    const first = turn.take().then(() => order.push('first'));
    const second = turn.take().then(() => order.push('second'));
    await Promise.resolve();
    expect(order).toEqual([]);
    turn.release();
    await first;
    expect(order).toEqual(['first']);
    // Handed over, not freed: nobody can slip in between.
    expect(turn.takeIfFree()).toBe(false);
    turn.release();
    await second;
    turn.release();
    expect(turn.takeIfFree()).toBe(true);
  });
});
