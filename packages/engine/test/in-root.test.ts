import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileInRoot, resolveInRoot } from '../src/index.js';

let dir: string;
let root: string;
let outside: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'koker-test-in-root-'));
  root = join(dir, 'root');
  outside = join(dir, 'outside');
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'real'));
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret'), 'host secret');
  writeFileSync(join(root, 'real', 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
  symlinkSync('/real/passwd', join(root, 'etc', 'passwd'));
  symlinkSync(join(outside, 'secret'), join(root, 'etc', 'absolute'));
  symlinkSync('../../../outside/secret', join(root, 'etc', 'dotdot'));
  symlinkSync('loop2', join(root, 'etc', 'loop1'));
  symlinkSync('loop1', join(root, 'etc', 'loop2'));
  mkdirSync(join(root, 'etc', 'dir'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('paths inside a root', () => {
  it('resolves symlinks as if the root were /', () => {
    expect(resolveInRoot(root, '/etc/passwd')).toBe(join(root, 'real', 'passwd'));
    expect(resolveInRoot(root, '/etc/absolute')).toBe(join(root, outside, 'secret'));
    expect(resolveInRoot(root, '/etc/dotdot')).toBe(join(root, 'outside', 'secret'));
    expect(resolveInRoot(root, '/../../etc/../real/passwd')).toBe(join(root, 'real', 'passwd'));
  });

  it('reads files through in-root symlinks and never outside the root', () => {
    expect(readFileInRoot(root, '/etc/passwd')).toBe('root:x:0:0::/root:/bin/sh\n');
    expect(readFileInRoot(root, '/etc/absolute')).toBeUndefined();
    expect(readFileInRoot(root, '/etc/dotdot')).toBeUndefined();
    expect(readFileInRoot(root, '/etc/missing')).toBeUndefined();
    expect(readFileInRoot(root, '/etc/dir')).toBeUndefined();
    expect(() => readFileInRoot(root, '/etc/loop1')).toThrow('too many levels of symbolic links');
  });
});
