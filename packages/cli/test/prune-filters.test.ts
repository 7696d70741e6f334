import { describe, expect, it } from 'vitest';
import { InvalidValueError } from '@koker/core';
import { filterFlagsOf } from '../src/filters/filter-args.js';
import { parsePruneFilters } from '../src/filters/prune-filters.js';

const NOW = Date.now();
const ago = (ms: number) => new Date(NOW - ms).toISOString();

describe('prune filters', () => {
  it('until= keeps what was created after it (a duration or a time)', () => {
    const { accepts } = parsePruneFilters(['until=1h']);
    expect(accepts({ created: ago(2 * 3600_000), labels: {} })).toBe(true);
    expect(accepts({ created: ago(60_000), labels: {} })).toBe(false);
    expect(accepts({ created: undefined, labels: {} })).toBe(false);
    const at = parsePruneFilters([`until=${Math.floor((NOW - 3600_000) / 1000)}`]).accepts;
    expect(at({ created: ago(2 * 3600_000), labels: {} })).toBe(true);
    expect(at({ created: ago(1000), labels: {} })).toBe(false);
  });

  it('label= must all hold; label!= must none', () => {
    const both = parsePruneFilters(['label=a', 'label=b=2']).accepts;
    expect(both({ created: undefined, labels: { a: 'x', b: '2' } })).toBe(true);
    expect(both({ created: undefined, labels: { a: 'x', b: '3' } })).toBe(false);
    expect(both({ created: undefined, labels: undefined })).toBe(false);
    const not = parsePruneFilters(['label!=keep', 'label!=tier=db']).accepts;
    expect(not({ created: undefined, labels: {} })).toBe(true);
    expect(not({ created: undefined, labels: { keep: '' } })).toBe(false);
    expect(not({ created: undefined, labels: { tier: 'web' } })).toBe(true);
    expect(not({ created: undefined, labels: { tier: 'db' } })).toBe(false);
  });

  it('refuses keys dockerd refuses, and the caller adds its own', () => {
    expect(() => parsePruneFilters(['name=x'])).toThrow(InvalidValueError);
    expect(() => parsePruneFilters(['until=soon'])).toThrow(InvalidValueError);
    expect(parsePruneFilters(['dangling=false'], ['dangling']).filters.get('dangling')).toEqual(['false']);
  });

  it("reads the API's filters parameter as flags", () => {
    expect(filterFlagsOf({ label: ['a', 'b=1'], until: ['10m'] })).toEqual([
      'label=a',
      'label=b=1',
      'until=10m',
    ]);
  });
});
