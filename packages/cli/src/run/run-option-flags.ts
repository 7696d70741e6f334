import {
  InvalidValueError,
  UsageError,
  parseByteSize,
  type ByteSize,
  type NetworkMode,
  type Rlimit,
} from '@koker/core';
import { goDurationMs, rlimit, rlimitType, signalNumber } from '@koker/engine';

/**
 * The parsers of `run`'s process and namespace flags, each to a typed value; every error names
 * its flag (exit 125).
 */

/** `--label KEY[=VALUE]` and `--label-file FILE` (one label a line, `#` comments), files first. */
export function parseLabels(
  labels: readonly string[],
  files: readonly string[],
  readFile: (path: string) => string,
): Record<string, string> {
  const result: Record<string, string> = {};
  const add = (entry: string, flag: string) => {
    const [key = '', value = ''] = entry.split(/=(.*)/s, 2);
    if (key.trim() === '')
      throw new InvalidValueError(flag, entry, 'a label needs a key, e.g. com.example.role=web');
    result[key] = value;
  };
  for (const file of files) {
    const text = readFile(file);
    for (const line of text.split(/\r?\n/)) {
      const trimmed = line.trim();
      if (trimmed !== '' && !trimmed.startsWith('#')) add(trimmed, '--label-file');
    }
  }
  for (const label of labels) add(label, '--label');
  return result;
}

/** `--ulimit NAME=SOFT[:HARD]` (HARD defaults to SOFT; -1 is unlimited), as Docker parses it. */
export function parseUlimit(input: string): Rlimit {
  const invalid = (reason: string) => new InvalidValueError('--ulimit', input, reason);
  const [type = '', limits] = input.split(/=(.*)/s, 2);
  rlimitType(type, invalid);
  if (limits === undefined || limits === '')
    throw invalid('expected NAME=SOFT[:HARD], e.g. nofile=1024:2048');
  const parts = limits.split(':');
  if (parts.length > 2) throw invalid('expected NAME=SOFT[:HARD]');
  const value = (text: string): number | 'unlimited' => {
    if (text === '-1' || text === 'unlimited') return 'unlimited';
    if (!/^\d+$/.test(text)) throw invalid(`${text} is not a whole number`);
    return Number(text);
  };
  return rlimit(type, value(parts[0] ?? ''), value(parts[1] ?? parts[0] ?? ''), invalid);
}

/** `--ulimit` given more than once for one limit: the last wins, as in Docker. */
export function parseUlimits(inputs: readonly string[]): Rlimit[] {
  const byType = new Map<string, Rlimit>();
  for (const input of inputs) {
    const limit = parseUlimit(input);
    byType.set(limit.type, limit);
  }
  return [...byType.values()];
}

/** `--group-add GROUP`: a name (looked up in the container) or a GID. */
export function parseGroupAdd(input: string): string {
  if (!/^[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?$/.test(input))
    throw new InvalidValueError('--group-add', input, 'expected a group name or a numeric GID');
  return input;
}

/** `--stop-timeout SECONDS`: a whole number (-1: wait forever, as Docker's API allows; koker refuses it). */
export function parseStopTimeout(input: string): number {
  if (!/^\d+$/.test(input.trim()))
    throw new InvalidValueError('--stop-timeout', input, 'expected a whole number of seconds');
  return Number(input.trim());
}

/** `--stop-signal`: a signal name or number, kept as given (`SIGUSR1`, `9`). */
export function parseStopSignal(input: string): string {
  try {
    signalNumber(input);
  } catch {
    throw new InvalidValueError(
      '--stop-signal',
      input,
      'expected a signal name such as SIGTERM, or a number',
    );
  }
  return /^\d+$/.test(input) ? input : `SIG${input.toUpperCase().replace(/^SIG/, '')}`;
}

/** `--shm-size`: bytes with a unit (Docker: must be above 0). */
export function parseShmSize(input: string): ByteSize {
  let size: ByteSize;
  try {
    size = parseByteSize(input);
  } catch (error) {
    throw new InvalidValueError('--shm-size', input, (error as Error).message);
  }
  if (size <= 0) throw new InvalidValueError('--shm-size', input, 'it must be greater than 0');
  return size;
}

/** `--oom-score-adj`: -1000..1000. */
export function parseOomScoreAdj(input: string): number {
  if (!/^-?\d+$/.test(input.trim()) || Math.abs(Number(input)) > 1000)
    throw new InvalidValueError('--oom-score-adj', input, 'expected a whole number from -1000 to 1000');
  return Number(input.trim());
}

/** Docker's namespaced sysctls of the IPC namespace (besides fs.mqueue.*). */
const IPC_SYSCTLS = new Set([
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

/** A kernel parameter by its dotted name (`net.ipv4.ip_forward`) and its value. */
export interface Sysctl {
  readonly name: string;
  readonly value: string;
}

/** What a `--sysctl` needs of the container's namespaces. */
export interface SysctlNamespaces {
  readonly network: NetworkMode;
  readonly ipcHost: boolean;
  readonly utsHost: boolean;
}

/**
 * `--sysctl NAME=VALUE`: only the parameters Docker allows, each one of a namespace the
 * container has of its own (IPC: kernel.msg*, sem, shm*, fs.mqueue.*; network: net.*; UTS:
 * kernel.domainname). Anything else would change the host, and is refused.
 */
export function parseSysctl(input: string, namespaces: SysctlNamespaces): Sysctl {
  const [raw = '', value] = input.split(/=(.*)/s, 2);
  const name = raw.replace(/\//g, '.');
  const invalid = (reason: string) => new InvalidValueError('--sysctl', input, reason);
  if (name === '' || value === undefined) throw invalid('expected NAME=VALUE, e.g. net.ipv4.ip_forward=1');
  if (!/^[a-z0-9_.-]+$/i.test(name) || name.split('.').some((p) => p === '' || p === '..'))
    throw invalid('not a kernel parameter name');
  if (IPC_SYSCTLS.has(name) || name.startsWith('fs.mqueue.')) {
    if (namespaces.ipcHost) throw invalid('it sets the IPC namespace, which --ipc host shares with the host');
  } else if (name.startsWith('net.')) {
    if (namespaces.network === 'host')
      throw invalid('it sets the network namespace, which --network host shares with the host');
  } else if (name === 'kernel.domainname') {
    if (namespaces.utsHost) throw invalid('it sets the UTS namespace, which --uts host shares with the host');
  } else {
    throw invalid(
      'not allowed: only namespaced parameters (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, net.*, kernel.domainname) can be set in a container',
    );
  }
  return { name, value };
}

/** `--uts host` (or empty: a namespace of the container's own). */
export function parseUtsMode(input: string): 'host' | undefined {
  if (input === 'host') return 'host';
  if (input === '') return undefined;
  throw new InvalidValueError('--uts', input, 'expected host');
}

/** A namespace mode before `container:NAME` is resolved to an ID. */
export type PendingNamespace<Own extends string> = Own | { readonly containerRef: string };

function containerMode(flag: string, input: string): { containerRef: string } | undefined {
  if (!input.startsWith('container:')) return undefined;
  const ref = input.slice('container:'.length);
  if (ref === '') throw new InvalidValueError(flag, input, 'expected container:NAME or container:ID');
  return { containerRef: ref };
}

/** `--pid host|container:NAME` */
export function parsePidMode(input: string): PendingNamespace<'host'> | undefined {
  if (input === '') return undefined;
  if (input === 'host') return 'host';
  const other = containerMode('--pid', input);
  if (other) return other;
  throw new InvalidValueError('--pid', input, 'expected host or container:NAME');
}

/** `--ipc host|container:NAME|shareable|private` (none is not supported: /dev/shm is always mounted). */
export function parseIpcMode(input: string): PendingNamespace<'host' | 'shareable' | 'private'> | undefined {
  if (input === '') return undefined;
  if (input === 'host' || input === 'shareable' || input === 'private') return input;
  const other = containerMode('--ipc', input);
  if (other) return other;
  throw new InvalidValueError('--ipc', input, 'expected host, private, shareable or container:NAME');
}

/** `-a/--attach STREAM`: stdin, stdout or stderr (case-insensitive, as Docker). */
export function parseAttach(inputs: readonly string[]): ('stdin' | 'stdout' | 'stderr')[] {
  return inputs.map((input) => {
    const stream = input.toLowerCase();
    if (stream !== 'stdin' && stream !== 'stdout' && stream !== 'stderr')
      throw new InvalidValueError('--attach', input, 'expected stdin, stdout or stderr');
    return stream;
  });
}

/** `--sig-proxy[=true|false]` */
export function parseBooleanFlag(
  flag: string,
  input: string | boolean | undefined,
  fallback: boolean,
): boolean {
  if (input === undefined) return fallback;
  if (typeof input === 'boolean') return input;
  if (input === 'true' || input === '1') return true;
  if (input === 'false' || input === '0') return false;
  throw new InvalidValueError(flag, input, 'expected true or false');
}

/** Docker's check: `-h` sets the container's own UTS namespace. */
export function checkHostnameWithUts(hostname: string | undefined, uts: 'host' | undefined): void {
  if (hostname !== undefined && uts === 'host')
    throw new UsageError('conflicting options: hostname and the UTS mode', {
      hint: 'with --uts host the container has the host name: drop -h/--hostname',
    });
}

/** `--domainname` sets the container's own UTS namespace too: none to set with `--uts host`. */
export function checkDomainnameWithUts(domainname: string | undefined, uts: 'host' | undefined): void {
  if (domainname !== undefined && uts === 'host')
    throw new UsageError('conflicting options: domainname and the UTS mode', {
      hint: 'with --uts host the container has the host domain name: drop --domainname',
    });
}

/** A Go duration (`1m30s`, `500ms`, `2s`; a bare `0` too), as Docker's flags take them: milliseconds. */
export function parseDuration(flag: string, input: string): number {
  const text = input.trim();
  if (text === '0') return 0;
  const ms = goDurationMs(text);
  if (ms === undefined)
    throw new InvalidValueError(flag, input, 'expected a duration such as 500ms, 10s or 1m30s');
  return Math.round(ms);
}

/** `--health-*` and `--no-healthcheck`, as Docker checks them. */
export interface HealthFlagValues {
  readonly healthCmd?: string;
  readonly healthInterval?: string;
  readonly healthTimeout?: string;
  readonly healthStartPeriod?: string;
  readonly healthStartInterval?: string;
  readonly healthRetries?: string;
  readonly healthcheck?: boolean;
}

export function parseHealthFlags(flags: HealthFlagValues): {
  cmd?: string;
  intervalMs?: number;
  timeoutMs?: number;
  startPeriodMs?: number;
  startIntervalMs?: number;
  retries?: number;
  none?: boolean;
} {
  const given = [
    flags.healthCmd,
    flags.healthInterval,
    flags.healthTimeout,
    flags.healthStartPeriod,
    flags.healthStartInterval,
    flags.healthRetries,
  ].some((v) => v !== undefined);
  // commander's `--no-healthcheck` sets healthcheck to false.
  if (flags.healthcheck === false) {
    if (given)
      throw new UsageError('--no-healthcheck conflicts with --health-* options', {
        hint: 'give either --no-healthcheck or the --health-* options',
      });
    return { none: true };
  }
  const positive = (flag: string, value: string | undefined, zeroOk: boolean) => {
    if (value === undefined) return undefined;
    const ms = parseDuration(flag, value);
    if (ms === 0 && !zeroOk) throw new InvalidValueError(flag, value, 'it must be at least 1ms');
    return ms;
  };
  let retries: number | undefined;
  if (flags.healthRetries !== undefined) {
    if (!/^\d+$/.test(flags.healthRetries))
      throw new InvalidValueError(
        '--health-retries',
        flags.healthRetries,
        'expected a whole number, 0 or more',
      );
    retries = Number(flags.healthRetries);
  }
  if (flags.healthCmd !== undefined && flags.healthCmd.trim() === '')
    throw new InvalidValueError('--health-cmd', flags.healthCmd, 'expected a command');
  const intervalMs = positive('--health-interval', flags.healthInterval, true);
  const timeoutMs = positive('--health-timeout', flags.healthTimeout, true);
  const startPeriodMs = positive('--health-start-period', flags.healthStartPeriod, true);
  const startIntervalMs = positive('--health-start-interval', flags.healthStartInterval, true);
  return {
    ...(flags.healthCmd !== undefined ? { cmd: flags.healthCmd } : {}),
    ...(intervalMs !== undefined ? { intervalMs } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(startPeriodMs !== undefined ? { startPeriodMs } : {}),
    ...(startIntervalMs !== undefined ? { startIntervalMs } : {}),
    ...(retries !== undefined ? { retries } : {}),
  };
}
