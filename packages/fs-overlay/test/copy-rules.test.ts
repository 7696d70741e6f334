import { describe, expect, it } from 'vitest';
import { copyTarget } from '../src/container-files/copy-rules.js';
import { cleanEntryName } from '../src/container-files/tree-entry.js';

const missing = (path: string) => ({ path, exists: false, isDir: false });
const dir = (path: string) => ({ path, exists: true, isDir: true });
const file = (path: string) => ({ path, exists: true, isDir: false });

describe("Docker's cp destination rules", () => {
  it('a file: into an existing directory, over an existing file, or to a new name', () => {
    expect(copyTarget({ path: '/etc/hosts', isDir: false }, dir('/tmp'))).toEqual({
      dir: '/tmp',
      topName: 'hosts',
    });
    expect(copyTarget({ path: '/etc/hosts', isDir: false }, file('/tmp/h'))).toEqual({
      dir: '/tmp',
      topName: 'h',
    });
    expect(copyTarget({ path: 'a/b', isDir: false }, missing('/tmp/new'))).toEqual({
      dir: '/tmp',
      topName: 'new',
    });
  });

  it('a file to a missing path ending in / is an error: the directory must exist', () => {
    expect(() => copyTarget({ path: '/f', isDir: false }, missing('/tmp/nodir/'))).toThrow(
      'no such directory',
    );
    expect(() => copyTarget({ path: '/f', isDir: false }, missing('/tmp/nodir/.'))).toThrow(
      'no such directory',
    );
  });

  it('a directory: into an existing directory, its contents with /., or created under a new name', () => {
    expect(copyTarget({ path: '/data', isDir: true }, dir('/out'))).toEqual({ dir: '/out', topName: 'data' });
    expect(copyTarget({ path: '/data/', isDir: true }, dir('/out'))).toEqual({
      dir: '/out',
      topName: 'data',
    });
    expect(copyTarget({ path: '/data/.', isDir: true }, dir('/out'))).toEqual({ dir: '/out', topName: '' });
    expect(copyTarget({ path: '/', isDir: true }, dir('/out'))).toEqual({ dir: '/out', topName: '' });
    expect(copyTarget({ path: '/data', isDir: true }, missing('/out/new'))).toEqual({
      dir: '/out',
      topName: 'new',
    });
    expect(copyTarget({ path: '/data/.', isDir: true }, missing('/out/new/'))).toEqual({
      dir: '/out',
      topName: 'new',
    });
  });

  it('a directory onto a file is an error', () => {
    expect(() => copyTarget({ path: '/data', isDir: true }, file('/out/f'))).toThrow('cannot copy directory');
  });
});

describe('cleanEntryName', () => {
  it('confines leading slashes and dots, refuses .. and NUL', () => {
    expect(cleanEntryName('/etc/passwd')).toBe('etc/passwd');
    expect(cleanEntryName('./a//b/')).toBe('a/b');
    expect(cleanEntryName('./')).toBe('');
    expect(cleanEntryName('a/../b')).toBeUndefined();
    expect(cleanEntryName('../x')).toBeUndefined();
    expect(cleanEntryName('a\0b')).toBeUndefined();
  });
});
