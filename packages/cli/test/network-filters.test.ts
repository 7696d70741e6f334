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

  it('dangling= picks user networks without containers; scope= is local for every network', () => {
    const used: ListedNetwork = {
      ...mine,
      name: 'used',
      containers: [{ id: 'a'.repeat(64) as never, ipAddress: '10.0.0.2' }],
    };
    const all = [bridge, none, mine, used];
    expect(all.filter((n) => networkMatches(n, ['dangling=true']))).toEqual([mine]);
    expect(all.filter((n) => networkMatches(n, ['dangling=false']))).toEqual([bridge, none, used]);
    expect(all.filter((n) => networkMatches(n, ['scope=local']))).toEqual(all);
    expect(all.filter((n) => networkMatches(n, ['scope=swarm']))).toEqual([]);
    expect(() => networkMatches(mine, ['dangling=maybe'])).toThrow(/true or false/);
    expect(() => networkMatches(mine, ['scope=planet'])).toThrow(/local, swarm or global/);
  });

  it('keys combine (all must match), values of one key are alternatives', () => {
    const labelled: ListedNetwork = { ...mine, name: 'front', labels: { tier: 'web' } };
    const all = [bridge, mine, labelled];
    expect(all.filter((n) => networkMatches(n, ['driver=bridge', 'label=tier=web']))).toEqual([labelled]);
    expect(all.filter((n) => networkMatches(n, ['name=front', 'name=mine']))).toEqual([mine, labelled]);
    expect(all.filter((n) => networkMatches(n, ['id=efef', 'type=custom']))).toEqual([mine, labelled]);
    expect(() => networkMatches(mine, ['colour=red'])).toThrow(/dangling=/);
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
