import { InvalidValueError } from '@koker/core';

/** Docker's default: ctrl-p then ctrl-q. */
export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/**
 * `--detach-keys` as Docker spells it: comma-separated keys, each a single character or
 * `ctrl-<c>` with c one of a-z, @, [, \, ], ^, _ (the control codes 0 to 31).
 */
export function parseDetachKeys(input: string): Uint8Array {
  const keys = input.split(',').map((key) => {
    if (key.length === 1) return key.charCodeAt(0);
    const ctrl = /^ctrl-(.)$/i.exec(key);
    const c = ctrl?.[1]?.toLowerCase();
    if (c !== undefined && c >= 'a' && c <= 'z') return c.charCodeAt(0) - 96;
    const symbol = c !== undefined ? '@[\\]^_'.indexOf(c) : -1;
    if (symbol >= 0) return symbol === 0 ? 0 : 26 + symbol;
    throw new InvalidValueError('detach keys', input, `unknown key ${JSON.stringify(key)}`, {
      hint: 'use single characters or ctrl-<a-z, @, [, \\, ], ^ or _>, comma-separated (ctrl-p,ctrl-q)',
    });
  });
  if (keys.length === 0 || keys.some((k) => k > 127))
    throw new InvalidValueError('detach keys', input, 'expected ASCII keys');
  return Uint8Array.from(keys);
}

/**
 * Watches stdin for the detach sequence. Bytes that may start it are held back until it is
 * clear whether they do; `feed` returns what to pass on, and whether the sequence was typed.
 */
export class DetachKeyMatcher {
  private held = 0;

  constructor(private readonly keys: Uint8Array) {}

  feed(data: Uint8Array): { pass: Uint8Array; detach: boolean } {
    const out: number[] = [];
    for (const byte of data) {
      if (byte === this.keys[this.held]) {
        this.held++;
        if (this.held === this.keys.length) return { pass: Uint8Array.from(out), detach: true };
        continue;
      }
      // Not the sequence after all: what was held goes on, then this byte (which may start it).
      out.push(...this.keys.subarray(0, this.held));
      this.held = 0;
      if (byte === this.keys[0]) this.held = 1;
      else out.push(byte);
    }
    return { pass: Uint8Array.from(out), detach: false };
  }
}
