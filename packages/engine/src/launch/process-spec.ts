import { posix } from 'node:path';
import {
  type ImageRunConfig,
  InvalidValueError,
  NotFoundError,
  type ProcessRequest,
  type ProcessSpec,
  type Rlimit,
  type SeccompMode,
  UsageError,
} from '@koker/core';
import { resolveCapabilities } from './capabilities.js';
import { DEFAULT_PATH, envValue, mergeEnv } from './environment.js';
import { type GroupEntry, type PasswdEntry, resolveUser } from './users.js';

/** What `run` (or `exec`) asked for about the process, from its flags. */
export interface ProcessFlags {
  /** `--entrypoint`: replaces the image's; `''` clears it. */
  readonly entrypoint?: string;
  /** Arguments after the image name: replace the image's Cmd. */
  readonly args: readonly string[];
  /** `-e` and `--env-file`, already `KEY=VALUE` (see environment.ts). */
  readonly env: readonly string[];
  readonly workdir?: string;
  readonly user?: string;
  readonly tty: boolean;
  readonly interactive: boolean;
  readonly hostname: string;
  readonly capAdd?: readonly string[];
  readonly capDrop?: readonly string[];
  readonly privileged?: boolean;
  readonly noNewPrivileges?: boolean;
  /** `--security-opt seccomp=unconfined`; --privileged means unconfined too (Docker's rule). */
  readonly seccomp?: SeccompMode;
  readonly rlimits?: readonly Rlimit[];
  /** `--group-add`: group names or GIDs. */
  readonly groupAdd?: readonly string[];
  /** The capabilities koker may give (its own bounding set): what --privileged means. */
  readonly availableCapabilities?: readonly string[];
}

/**
 * Docker's rules: `--entrypoint` replaces the image's Entrypoint and drops its Cmd; arguments
 * replace Cmd; env is PATH (default), HOSTNAME and TERM (with -t), then the image's, then the
 * flags' (later wins); the working directory is `-w`, else the image's, else `/`.
 */
export function processRequest(image: ImageRunConfig, flags: ProcessFlags): ProcessRequest {
  const entrypoint =
    flags.entrypoint !== undefined
      ? flags.entrypoint === ''
        ? []
        : [flags.entrypoint]
      : [...(image.Entrypoint ?? [])];
  const command =
    flags.args.length > 0 ? [...flags.args] : flags.entrypoint !== undefined ? [] : [...(image.Cmd ?? [])];
  const args = [...entrypoint, ...command];
  if (args.length === 0)
    throw new UsageError('no command specified: the image has no Entrypoint or Cmd', {
      hint: 'give the command after the image name, e.g. koker run IMAGE sh',
    });
  if (flags.workdir !== undefined && !flags.workdir.startsWith('/'))
    throw new InvalidValueError('working directory', flags.workdir, 'it needs to be an absolute path');
  const cwd = posix.normalize(posix.join('/', flags.workdir ?? image.WorkingDir ?? '/'));
  const env = mergeEnv(
    [`PATH=${DEFAULT_PATH}`, `HOSTNAME=${flags.hostname}`, ...(flags.tty ? ['TERM=xterm'] : [])],
    image.Env ?? [],
    flags.env,
  );
  return {
    entrypoint,
    command,
    args,
    env,
    cwd,
    user: flags.user ?? image.User ?? '',
    terminal: flags.tty,
    stdin: flags.interactive,
    capabilities: resolveCapabilities({
      add: flags.capAdd ?? [],
      drop: flags.capDrop ?? [],
      privileged: flags.privileged ?? false,
      ...(flags.availableCapabilities ? { available: flags.availableCapabilities } : {}),
    }),
    noNewPrivileges: flags.noNewPrivileges ?? false,
    seccomp: flags.privileged ? 'unconfined' : (flags.seccomp ?? 'default'),
    rlimits: flags.rlimits ?? [],
    ...(flags.groupAdd?.length ? { groupAdd: flags.groupAdd } : {}),
  };
}

/** The request made concrete with the container's users: uid, gid, groups, and HOME if unset. */
export function resolveProcess(
  request: ProcessRequest,
  users: { passwd: readonly PasswdEntry[]; groups: readonly GroupEntry[] },
): ProcessSpec {
  const user = resolveUser(request.user, users.passwd, users.groups);
  const env =
    envValue(request.env, 'HOME') === undefined ? [...request.env, `HOME=${user.home}`] : [...request.env];
  return {
    args: request.args,
    env,
    cwd: request.cwd,
    uid: user.uid,
    gid: user.gid,
    additionalGids: [
      ...new Set([...user.additionalGids, ...(request.groupAdd ?? []).map((g) => groupId(g, users.groups))]),
    ],
    terminal: request.terminal,
    stdin: request.stdin,
    capabilities: request.capabilities,
    noNewPrivileges: request.noNewPrivileges,
    ...(request.seccomp ? { seccomp: request.seccomp } : {}),
    rlimits: request.rlimits,
  };
}

/** A `--group-add` value: a GID, or a group name of the container's /etc/group (Docker's rule). */
function groupId(group: string, groups: readonly GroupEntry[]): number {
  const entry = groups.find((g) => g.name === group);
  if (entry) return entry.gid;
  if (/^\d+$/.test(group) && Number(group) <= 0xffffffff) return Number(group);
  throw new NotFoundError(
    `unable to find group ${group}: no matching entries in the container's /etc/group`,
    {
      hint: 'give a group that exists in the image, or a numeric GID',
    },
  );
}

/** Where argv[0] is looked up: the container's PATH, never koker's. */
export function searchPath(env: readonly string[]): string {
  return envValue(env, 'PATH') ?? DEFAULT_PATH;
}
