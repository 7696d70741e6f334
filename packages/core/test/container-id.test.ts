import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  NotFoundError,
  newContainerId,
  parseContainerId,
  parseContainerName,
  resolveContainerIdPrefix,
  shortContainerId,
  type ContainerId,
} from '../src/index.js';

describe('container IDs', () => {
  it('are 64 hex digits with a 12-digit short form', () => {
    const id = newContainerId();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(shortContainerId(id)).toBe(id.slice(0, 12));
    expect(parseContainerId(id)).toBe(id);
    expect(() => parseContainerId(id.slice(1))).toThrow(/64 lower-case hex/);
  });

  const ids = ['abc1' + '0'.repeat(60), 'abc2' + '0'.repeat(60), 'def0' + '0'.repeat(60)] as ContainerId[];

  it('resolves a unique prefix', () => {
    expect(resolveContainerIdPrefix('abc1', ids)).toBe(ids[0]);
    expect(resolveContainerIdPrefix('d', ids)).toBe(ids[2]);
  });

  it('reports an ambiguous prefix and an unknown one', () => {
    expect(() => resolveContainerIdPrefix('abc', ids)).toThrow(ConflictError);
    expect(() => resolveContainerIdPrefix('ff', ids)).toThrow(NotFoundError);
    expect(() => resolveContainerIdPrefix('not-hex', ids)).toThrow(NotFoundError);
  });
});

describe('container names', () => {
  it('accepts Docker names, with or without the leading slash', () => {
    expect(parseContainerName('web_1')).toBe('web_1');
    expect(parseContainerName('/db.2-x')).toBe('db.2-x');
  });
  it.each(['a', '_web', 'web app', 'wéb', 'x'.repeat(129)])('rejects %j', (input) => {
    expect(() => parseContainerName(input)).toThrow(/invalid container name/);
  });
});
