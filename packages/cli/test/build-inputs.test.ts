import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordingLogger } from '@koker/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { openBuildContext } from '../src/builds/build-context.js';
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

describe("build's URL contexts", () => {
  const dir = mkdtempSync(join(tmpdir(), 'koker-build-url-'));
  let server: Server | undefined;
  afterAll(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('downloads a compressed tar or a Dockerfile alone from a loopback server, and says what failed', async () => {
    const context = join(dir, 'context');
    mkdirSync(context);
    writeFileSync(join(context, 'Dockerfile'), 'FROM busybox\nCOPY hello /\n');
    writeFileSync(join(context, 'hello'), 'hi\n');
    const archive = execFileSync('tar', ['-cz', '-C', context, '.']);
    const files: Record<string, Buffer> = {
      '/context.tar.gz': archive,
      '/Dockerfile': Buffer.from('FROM busybox\nENV ALONE=1\n'),
    };
    server = createServer((request, response) => {
      const body = files[request.url ?? ''];
      response.statusCode = body ? 200 : 404;
      response.end(body ?? 'not found');
    });
    await new Promise<void>((listening) => server?.listen(0, '127.0.0.1', listening));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { log } = recordingLogger();
    const open = (url: string, work: string) => {
      mkdirSync(join(dir, work));
      return openBuildContext(url, undefined, join(dir, work), log);
    };

    const fromTar = await open(`${base}/context.tar.gz`, 'tar');
    fromTar.source.close();
    expect(fromTar.dockerfile).toBe('FROM busybox\nCOPY hello /\n');
    expect(readFileSync(join(dir, 'tar', 'context', 'hello'), 'utf8')).toBe('hi\n');
    const alone = await open(`${base}/Dockerfile`, 'alone');
    alone.source.close();
    expect(alone.dockerfile).toBe('FROM busybox\nENV ALONE=1\n');
    await expect(open(`${base}/missing.tar`, 'missing')).rejects.toThrow(
      `cannot download ${base}/missing.tar: HTTP 404`,
    );
    await expect(open('ftp://127.0.0.1/context.tar', 'ftp')).rejects.toThrow(
      'koker downloads http:// and https:// URLs only',
    );
  });
});
