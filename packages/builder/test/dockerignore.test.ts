import { describe, expect, it } from 'vitest';
import { DockerIgnore } from '../src/index.js';

describe('.dockerignore', () => {
  it("matches as Docker's pattern matcher does: parents, **, ! exceptions, the last match winning", () => {
    const ignore = new DockerIgnore(
      [
        '# a comment',
        '',
        '*.log',
        '/secret',
        'build/**',
        '!build/keep',
        'docs/**/*.md',
        'tmp?',
        'node_modules',
      ].join('\n'),
    );
    const excluded = (path: string) => ignore.excludes(path);
    expect(excluded('app.log')).toBe(true);
    expect(excluded('dir/app.log')).toBe(false);
    expect(excluded('secret')).toBe(true);
    expect(excluded('secret/inner')).toBe(true);
    expect(excluded('build/out/a.o')).toBe(true);
    expect(excluded('build/keep')).toBe(false);
    expect(excluded('docs/a/b/c.md')).toBe(true);
    expect(excluded('docs/readme.md')).toBe(true);
    expect(excluded('docs/a/b/c.txt')).toBe(false);
    expect(excluded('tmp1')).toBe(true);
    expect(excluded('tmp12')).toBe(false);
    expect(excluded('node_modules/x/index.js')).toBe(true);
    expect(excluded('src/index.ts')).toBe(false);
    expect(new DockerIgnore('# nothing\n').empty).toBe(true);
  });
});
