import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidValueError, NoSpaceError, NotFoundError } from '@koker/core';
import { readInputFile, requireRegularFile } from '../src/files/input-file.js';
import { checkOutputFile, writeStreamAtomic } from '../src/files/output-file.js';

const dir = mkdtempSync(join(tmpdir(), 'koker-host-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readInputFile', () => {
  it('reads a regular file', () => {
    writeFileSync(join(dir, 'a.env'), 'A=1\n');
    expect(readInputFile(join(dir, 'a.env'), { what: 'env file' })).toBe('A=1\n');
  });

  it('refuses a device, a FIFO and a directory at once, saying what it is', () => {
    expect(() => readInputFile('/dev/zero', { what: 'env file' })).toThrow(
      'invalid env file "/dev/zero": it is a character device, not a regular file',
    );
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(() => readInputFile(fifo, { what: 'label file' })).toThrow(/it is a FIFO, not a regular file/);
    expect(() => readInputFile(dir, { what: 'env file' })).toThrow(/it is a directory/);
    expect(() => readInputFile(dir, { what: 'env file' })).toThrow(InvalidValueError);
  });

  it('refuses a file over the bound, and stops reading one that reports no size', () => {
    writeFileSync(join(dir, 'big.env'), 'x'.repeat(2048));
    expect(() => readInputFile(join(dir, 'big.env'), { what: 'env file', maxBytes: 1024 })).toThrow(
      /larger than 1 KiB/,
    );
    // /proc files report size 0: the read itself is bounded.
    expect(() => readInputFile('/proc/self/maps', { what: 'env file', maxBytes: 16 })).toThrow(/larger than/);
  });

  it('says a missing file does not exist', () => {
    expect(() => readInputFile(join(dir, 'nope'), { what: 'env file' })).toThrow(NotFoundError);
  });
});

describe('requireRegularFile', () => {
  it('takes a regular file and refuses anything else', () => {
    writeFileSync(join(dir, 'archive.tar'), '');
    expect(requireRegularFile(join(dir, 'archive.tar'), 'input file').isFile()).toBe(true);
    expect(() => requireRegularFile('/dev/null', 'input file')).toThrow(/character device/);
    expect(() => requireRegularFile(join(dir, 'missing.tar'), 'input file')).toThrow(NotFoundError);
  });
});

describe('checkOutputFile', () => {
  it('takes a new file in an existing directory, or a regular file (through a symlink)', () => {
    expect(checkOutputFile(join(dir, 'new.tar'), 'output file')).toBe(join(dir, 'new.tar'));
    writeFileSync(join(dir, 'old.tar'), 'old');
    symlinkSync(join(dir, 'old.tar'), join(dir, 'link.tar'));
    expect(checkOutputFile(join(dir, 'link.tar'), 'output file')).toBe(join(dir, 'old.tar'));
  });

  it('refuses a device, a directory and a missing directory', () => {
    expect(() => checkOutputFile('/dev/full', 'output file')).toThrow(
      'invalid output file "/dev/full": it is a character device, not a regular file',
    );
    expect(() => checkOutputFile(dir, 'output file')).toThrow(/it is a directory/);
    expect(() => checkOutputFile('/missing/dir/x.tar', 'output file')).toThrow(
      'cannot write output file /missing/dir/x.tar: directory /missing/dir does not exist',
    );
  });
});

describe('writeStreamAtomic', () => {
  it('replaces the file only when the writer succeeded, leaving no temporary file', async () => {
    const target = join(dir, 'atomic', 'out.tar');
    mkdirSync(join(dir, 'atomic'));
    writeFileSync(target, 'before');
    await expect(
      writeStreamAtomic(target, async (out) => {
        out.write('partial');
        throw new Error('the writer failed');
      }),
    ).rejects.toThrow('the writer failed');
    expect(readFileSync(target, 'utf8')).toBe('before');
    expect(readdirSync(join(dir, 'atomic'))).toEqual(['out.tar']);
    await writeStreamAtomic(target, async (out: Writable) => {
      await new Promise<void>((done) => out.end('after', done));
    });
    expect(readFileSync(target, 'utf8')).toBe('after');
    expect(readdirSync(join(dir, 'atomic'))).toEqual(['out.tar']);
  });

  it('reports a full disk as no space left, with the path', async () => {
    const target = join(dir, 'atomic', 'full.tar');
    await expect(
      writeStreamAtomic(target, async () => {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }),
    ).rejects.toThrow(NoSpaceError);
    expect(readdirSync(join(dir, 'atomic'))).not.toContain(expect.stringMatching(/full/));
  });
});
