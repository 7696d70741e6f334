import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSecrets } from '../src/builds/build-secrets.js';
import { gitContextOf } from '../src/builds/git-context.js';

describe("build's Git contexts", () => {
  it('tells Git URLs as Docker does, with the ref and the directory after #', () => {
    expect(gitContextOf('git://example.test/repo#v1:app')).toEqual({
      url: 'git://example.test/repo',
      ref: 'v1',
      subdir: 'app',
    });
    expect(gitContextOf('github.com/org/repo')).toEqual({ url: 'https://github.com/org/repo' });
    expect(gitContextOf('https://example.test/repo.git#:docs')).toEqual({
      url: 'https://example.test/repo.git',
      subdir: 'docs',
    });
    expect(gitContextOf('git@example.test:org/repo.git#main')).toEqual({
      url: 'git@example.test:org/repo.git',
      ref: 'main',
    });
    // Not Git: a directory, an http URL not ending in .git.
    expect(gitContextOf('./context')).toBeUndefined();
    expect(gitContextOf('https://example.test/context.tar.gz')).toBeUndefined();
    expect(() => gitContextOf('git://example.test/repo#--upload-pack=x')).toThrow(
      'a ref cannot start with -',
    );
  });
});

describe("build's --secret", () => {
  const dir = mkdtempSync(join(tmpdir(), 'koker-secret-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file, an environment variable, or the variable named by the id', () => {
    writeFileSync(join(dir, 'token'), 'from a file');
    process.env.KOKER_TEST_SECRET = 'from the environment';
    const secrets = parseSecrets([
      `id=file,src=${join(dir, 'token')}`,
      'id=env,env=KOKER_TEST_SECRET',
      'id=KOKER_TEST_SECRET',
    ]);
    expect(Object.fromEntries([...secrets].map(([k, v]) => [k, v.toString()]))).toEqual({
      file: 'from a file',
      env: 'from the environment',
      KOKER_TEST_SECRET: 'from the environment',
    });
    delete process.env.KOKER_TEST_SECRET;
  });

  it('refuses what it cannot read, by name', () => {
    expect(() => parseSecrets(['src=/x'])).toThrow('an id is required');
    expect(() => parseSecrets(['id=a,env=KOKER_TEST_UNSET'])).toThrow('KOKER_TEST_UNSET is not set');
    expect(() => parseSecrets([`id=a,src=${dir}`])).toThrow('not a regular file');
    expect(() => parseSecrets(['id=a,type=ssh'])).toThrow('type is file or env');
    expect(() => parseSecrets(['id=a,mode=0400'])).toThrow('unknown key mode');
  });
});
