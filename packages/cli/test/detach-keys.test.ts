import { describe, expect, it } from 'vitest';
import { InvalidValueError } from '@koker/core';
import { DetachKeyMatcher, parseDetachKeys } from '../src/containers/detach-keys.js';

describe('--detach-keys', () => {
  it("parses Docker's spellings", () => {
    expect([...parseDetachKeys('ctrl-p,ctrl-q')]).toEqual([16, 17]);
    expect([...parseDetachKeys('ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_')]).toEqual([
      0, 27, 28, 29, 30, 31,
    ]);
    expect([...parseDetachKeys('a,ctrl-A')]).toEqual([97, 1]);
  });
  it.each(['', 'ctrl-1', 'alt-x', 'ab'])('refuses %j', (keys) =>
    expect(() => parseDetachKeys(keys)).toThrow(InvalidValueError),
  );
  it('holds back what may start the sequence, passes it on when it does not', () => {
    const matcher = new DetachKeyMatcher(parseDetachKeys('ctrl-p,ctrl-q'));
    expect(matcher.feed(Buffer.from('ab\x10'))).toEqual({ pass: Uint8Array.from([97, 98]), detach: false });
    expect(matcher.feed(Buffer.from('c'))).toEqual({ pass: Uint8Array.from([16, 99]), detach: false });
    expect(matcher.feed(Buffer.from('\x10\x10'))).toEqual({ pass: Uint8Array.from([16]), detach: false });
    expect(matcher.feed(Buffer.from('\x11rest'))).toEqual({ pass: Uint8Array.from([]), detach: true });
  });
});
