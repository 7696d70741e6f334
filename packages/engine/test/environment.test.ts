import { describe, expect, it } from 'vitest';
import { InvalidValueError } from '@koker/core';
import { envValue, mergeEnv, parseEnvFile, parseEnvFlag } from '../src/index.js';

const host = { FROM_HOST: 'yes', EMPTY: '' };

describe('environment', () => {
  it('takes -e KEY=VALUE as is and a bare KEY from the host', () => {
    expect(parseEnvFlag('A=1=2', host)).toBe('A=1=2');
    expect(parseEnvFlag('A=', host)).toBe('A=');
    expect(parseEnvFlag('FROM_HOST', host)).toBe('FROM_HOST=yes');
    expect(parseEnvFlag('EMPTY', host)).toBe('EMPTY=');
    expect(parseEnvFlag('MISSING', host)).toBeUndefined();
    expect(() => parseEnvFlag('=x', host)).toThrow(InvalidValueError);
    expect(() => parseEnvFlag('A B=x', host)).toThrow(InvalidValueError);
  });

  it('reads an env file: comments and blank lines skipped, values verbatim', () => {
    const text = '# comment\n\nA=1\n  B=spaced value \nFROM_HOST\nMISSING\nC="quoted"\r\n';
    expect(parseEnvFile(text, 'f.env', host)).toEqual([
      'A=1',
      'B=spaced value ',
      'FROM_HOST=yes',
      'C="quoted"',
    ]);
  });

  it('names the file and line of a bad entry', () => {
    expect(() => parseEnvFile('A=1\n=bad\n', 'f.env', host)).toThrow('f.env:2');
    expect(() => parseEnvFile('B = spaced', 'f.env', host)).toThrow('f.env:1');
  });

  it("merges lists: a later value wins, at the first one's place", () => {
    expect(mergeEnv(['PATH=/bin', 'A=1'], ['B=2', 'PATH=/usr/bin'], ['A=3'])).toEqual([
      'PATH=/usr/bin',
      'A=3',
      'B=2',
    ]);
    expect(envValue(['A=1', 'AB=2'], 'AB')).toBe('2');
    expect(envValue(['A=1'], 'B')).toBeUndefined();
  });
});
