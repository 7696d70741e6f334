import { spawn } from 'node:child_process';
import { mkdir, realpath } from 'node:fs/promises';
import { posix } from 'node:path';
import { HostError, InvalidValueError, type Logger, NotFoundError, UsageError } from '@koker/core';
import { findProgram } from '@koker/host';

/** A Git build context: the repository, the ref to check out (`#ref`), the directory in it (`:dir`). */
export interface GitContext {
  readonly url: string;
  readonly ref?: string;
  readonly subdir?: string;
}

/**
 * A build context path that names a Git repository, as Docker tells: `git://…`, `git@…`,
 * `github.com/…`, or an http(s) URL whose path ends in `.git`; `#ref:dir` after it picks the ref
 * and the directory. Undefined for anything else.
 */
export function gitContextOf(path: string): GitContext | undefined {
  const isGit = /^(git:\/\/|git@|github\.com\/)/.test(path) || /^https?:\/\/[^#]*\.git(#.*)?$/.test(path);
  if (!isGit) return undefined;
  const hash = path.indexOf('#');
  let url = hash < 0 ? path : path.slice(0, hash);
  if (url.startsWith('github.com/')) url = `https://${url}`;
  const fragment = hash < 0 ? '' : path.slice(hash + 1);
  const colon = fragment.indexOf(':');
  const ref = colon < 0 ? fragment : fragment.slice(0, colon);
  const subdir = colon < 0 ? '' : fragment.slice(colon + 1);
  if (ref.startsWith('-')) throw new InvalidValueError('build context', path, 'a ref cannot start with -');
  return { url, ...(ref ? { ref } : {}), ...(subdir ? { subdir } : {}) };
}

function git(args: readonly string[], cwd: string, log: Logger): Promise<void> {
  const program = findProgram('git');
  if (!program)
    throw new HostError('the build context is a Git repository and git is not installed', {
      hint: 'apt-get install git',
    });
  log.debug({ argv: ['git', ...args], cwd }, 'Run git');
  return new Promise((done, fail) => {
    // No terminal prompt for credentials: a build fails rather than waits.
    const child = spawn(program, args, {
      cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString().slice(0, 2000)));
    child.once('error', fail);
    child.once('close', (code) =>
      code === 0
        ? done()
        : fail(
            new UsageError(
              `unable to prepare context: git ${args[0]} failed: ${stderr.trim() || `exit ${code}`}`,
              {
                hint: 'check the repository URL and the ref after #',
              },
            ),
          ),
    );
  });
}

/**
 * Fetches the ref (default: the remote's HEAD) of a Git context into `into`, as Docker does: a
 * shallow fetch, the commit checked out, submodules too. Returns the context directory.
 */
export async function cloneGitContext(context: GitContext, into: string, log: Logger): Promise<string> {
  await mkdir(into, { recursive: true });
  into = await realpath(into);
  await git(['init', '-q'], into, log);
  await git(['remote', 'add', 'origin', context.url], into, log);
  await git(['fetch', '-q', '--depth', '1', 'origin', '--', context.ref ?? 'HEAD'], into, log);
  await git(['checkout', '-q', 'FETCH_HEAD'], into, log);
  await git(['submodule', 'update', '-q', '--init', '--recursive', '--depth', '1'], into, log);
  if (!context.subdir) return into;
  const dir = posix.join(into, posix.normalize(`/${context.subdir}`));
  // The repository's own symlinks do not take the context out of it.
  let real: string;
  try {
    real = await realpath(dir);
  } catch {
    throw new NotFoundError(`unable to prepare context: ${context.subdir} not found in ${context.url}`);
  }
  if (real !== into && !real.startsWith(`${into}/`))
    throw new InvalidValueError('build context', context.subdir, 'the directory leaves the repository');
  return real;
}
