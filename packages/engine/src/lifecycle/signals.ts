import { constants } from 'node:os';
import { InvalidValueError } from '@koker/core';

const SIGNALS = constants.signals as Readonly<Record<string, number>>;

/** `KILL`, `SIGKILL`, `kill` or `9` -> 9, as `docker kill -s` accepts them. */
export function signalNumber(input: string | number): number {
  if (typeof input === 'number') {
    if (Number.isInteger(input) && input > 0 && input < 65) return input;
    throw new InvalidValueError('signal', String(input), 'expected a signal number from 1 to 64');
  }
  const text = input.trim();
  if (/^\d+$/.test(text)) return signalNumber(Number(text));
  const name = text.toUpperCase().replace(/^SIG/, '');
  const number = SIGNALS[`SIG${name}`];
  if (number === undefined)
    throw new InvalidValueError('signal', input, 'expected a name such as TERM, KILL, HUP, or a number');
  return number;
}
