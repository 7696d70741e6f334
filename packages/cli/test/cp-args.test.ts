import { describe, expect, it } from 'vitest';
import { containerPath, copyDirection, parseCopyOperand } from '../src/copy/cp-args.js';

describe('parseCopyOperand', () => {
  it('splits CONTAINER:PATH as Docker does', () => {
    expect(parseCopyOperand('web:/etc/hosts')).toEqual({
      kind: 'container',
      container: 'web',
      path: '/etc/hosts',
    });
    expect(parseCopyOperand('web:etc/a:b')).toEqual({ kind: 'container', container: 'web', path: 'etc/a:b' });
    expect(parseCopyOperand('web:')).toEqual({ kind: 'container', container: 'web', path: '' });
  });

  it('takes absolute paths, paths without a colon and ./ paths as host paths', () => {
    expect(parseCopyOperand('/tmp/a:b')).toEqual({ kind: 'host', path: '/tmp/a:b' });
    expect(parseCopyOperand('./a:b')).toEqual({ kind: 'host', path: './a:b' });
    expect(parseCopyOperand('file')).toEqual({ kind: 'host', path: 'file' });
    expect(parseCopyOperand('-')).toEqual({ kind: 'stream' });
  });
});

describe('copyDirection', () => {
  it('finds the direction and the stream ends', () => {
    expect(copyDirection('c:/a', '-')).toMatchObject({
      kind: 'from-container',
      container: 'c',
      source: '/a',
    });
    expect(copyDirection('-', 'c:/d')).toMatchObject({ kind: 'to-container', source: { kind: 'stream' } });
    expect(copyDirection('./f', 'c:d/')).toMatchObject({ kind: 'to-container', destination: 'd/' });
  });

  it("refuses what Docker refuses, in Docker's words", () => {
    expect(() => copyDirection('a:/x', 'b:/y')).toThrow('copying between containers is not supported');
    expect(() => copyDirection('a', 'b')).toThrow('must specify at least one container source');
    expect(() => copyDirection('', 'c:/x')).toThrow('source can not be empty');
    expect(() => copyDirection('f', '')).toThrow('destination can not be empty');
    expect(() => copyDirection('c:', 'f')).toThrow('source can not be empty');
  });

  it('makes container paths absolute, keeping a trailing / or /.', () => {
    expect(containerPath('tmp/x/')).toBe('/tmp/x/');
    expect(containerPath('/d/.')).toBe('/d/.');
  });
});
