import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, realpathSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DockerIgnore, type FileSource } from '@koker/builder';
import { type Logger, NotFoundError, UsageError } from '@koker/core';
import { programCompressionOf } from '@koker/host';
import { directorySource } from '@koker/fs-overlay';
import { isUrl, openHttpDownload } from '../downloads/http-download.js';
import { cloneGitContext, gitContextOf } from './git-context.js';

export interface BuildContext {
  readonly source: FileSource;
  readonly dockerfile: string;
  readonly ignore?: DockerIgnore;
}

/** Whether the first bytes are a tar (ustar magic) or a compressed stream (gzip, bzip2, xz). */
function looksLikeArchive(head: Buffer): boolean {
  if (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar') return true;
  return (head[0] === 0x1f && head[1] === 0x8b) || programCompressionOf(head) !== undefined;
}

async function extractTar(archive: string, into: string): Promise<void> {
  await mkdir(into, { recursive: true });
  // GNU tar: names confined to the directory, links never written through (its defaults).
  await new Promise<void>((done, fail) => {
    const child = spawn('tar', ['-x', '-f', archive, '-C', into, '--no-same-permissions'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', fail);
    child.once('close', (code) =>
      code === 0
        ? done()
        : fail(new UsageError(`the build context is not a readable tar archive: ${stderr.trim()}`)),
    );
  });
}

/**
 * A Dockerfile named inside a context that came as an archive: it stays inside, links included
 * (the archive is the client's; the host's files are not its to read).
 */
function inContext(dir: string, file: string): string {
  const at = resolve(dir, file);
  const real = existsSync(at) ? realpathSync(at) : at;
  const root = realpathSync(dir);
  if (real !== root && !real.startsWith(`${root}/`))
    throw new UsageError(`the Dockerfile (${file}) is outside the build context`, {
      hint: 'name a file inside the context',
    });
  return real;
}

/**
 * The build context: a directory, a Git repository (`gitContextOf`: fetched into `work`), `-`
 * (stdin: a tar archive, plain or compressed, unpacked into `work`; or a Dockerfile alone, with an
 * empty context, as Docker takes it), or an http(s) URL of either (downloaded as stdin is read).
 * The Dockerfile is `-f` (relative to the current directory, or to the context when it is stdin,
 * a URL or a repository; `-` for stdin), else
 * `Dockerfile` in the context; `.dockerignore` is read from the context's root.
 */
export async function openBuildContext(
  path: string,
  file: string | undefined,
  work: string,
  log: Logger,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<BuildContext> {
  let dir: string;
  let dockerfile: string | undefined;
  const git = gitContextOf(path);
  if (git) dir = await cloneGitContext(git, join(work, 'git'), log);
  else if (path === '-' || isUrl(path)) {
    let stream: NodeJS.ReadableStream;
    if (path === '-') {
      if ((stdin as { isTTY?: boolean }).isTTY)
        throw new UsageError('the build context is stdin, but stdin is a terminal', {
          hint: 'pipe a tar archive or a Dockerfile: koker build - < context.tar',
        });
      stream = stdin;
    } else {
      log.debug({ url: path }, 'Download build context');
      stream = (await openHttpDownload(path, 'build context')).body;
    }
    const spooled = join(work, 'stdin');
    await pipeline(stream, createWriteStream(spooled));
    const handle = await open(spooled, 'r');
    const head = Buffer.alloc(512);
    await handle.read(head, 0, 512, 0);
    await handle.close();
    dir = join(work, 'context');
    if (looksLikeArchive(head)) await extractTar(spooled, dir);
    else {
      await mkdir(dir);
      dockerfile = readFileSync(spooled, 'utf8');
    }
  } else {
    dir = resolve(path);
    if (!existsSync(dir)) throw new NotFoundError(`unable to prepare context: path "${path}" not found`);
  }
  if (dockerfile === undefined) {
    if (file === '-') {
      if (path === '-') throw new UsageError('the context and the Dockerfile cannot both come from stdin');
      const chunks: Buffer[] = [];
      for await (const chunk of stdin as AsyncIterable<Buffer>) chunks.push(chunk);
      dockerfile = Buffer.concat(chunks).toString('utf8');
    } else {
      const at =
        file === undefined
          ? join(dir, 'Dockerfile')
          : path === '-' || git || isUrl(path)
            ? inContext(dir, file)
            : resolve(file);
      if (!existsSync(at))
        throw new NotFoundError(`unable to prepare context: the Dockerfile (${file ?? at}) cannot be found`, {
          hint: 'name it with -f',
        });
      dockerfile = readFileSync(at, 'utf8');
    }
  }
  const ignorePath = join(dir, '.dockerignore');
  const ignore = existsSync(ignorePath) ? new DockerIgnore(readFileSync(ignorePath, 'utf8')) : undefined;
  return { source: directorySource(dir), dockerfile, ...(ignore && !ignore.empty ? { ignore } : {}) };
}
