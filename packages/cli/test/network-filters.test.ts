import { describe, expect, it } from 'vitest';
import { networkMatches } from '../src/networks/user-networks.js';
import {
  findPredefined,
  refusePredefinedRemoval,
  type ListedNetwork,
} from '../src/networks/predefined-networks.js';

const network = (name: string, id: string, predefined: boolean): ListedNetwork => ({
  id,
  name,
  driver: name === 'none' ? 'null' : 'bridge',
  created: '0001-01-01T00:00:00Z',
  internal: false,
  labels: {},
  options: {},
  containers: [],
  predefined,
});

const bridge = network('bridge', 'ab'.repeat(32), true);
const none = network('none', 'cd'.repeat(32), true);
const mine = network('mine', 'ef'.repeat(32), false);

describe('network filters', () => {
  it('type=builtin and type=custom split the built-in networks from user ones', () => {
    expect([bridge, none, mine].filter((n) => networkMatches(n, ['type=builtin']))).toEqual([bridge, none]);
    expect([bridge, none, mine].filter((n) => networkMatches(n, ['type=custom']))).toEqual([mine]);
    expect(() => networkMatches(mine, ['type=other'])).toThrow(/builtin or custom/);
  });
});

describe('built-in networks', () => {
  it('are found by name or by an ID prefix of 12 digits or more, not by a short one', () => {
    expect(findPredefined([bridge, none], 'none')).toBe(none);
    expect(findPredefined([bridge, none], 'abababababab')).toBe(bridge);
    expect(findPredefined([bridge, none], 'abab')).toBeUndefined();
  });

  it("refuse removal with Docker's words", () => {
    expect(() => refusePredefinedRemoval([bridge, none], 'bridge')).toThrow(
      'bridge is a pre-defined network and cannot be removed',
    );
    expect(() => refusePredefinedRemoval([bridge, none], 'mine')).not.toThrow();
  });
});
