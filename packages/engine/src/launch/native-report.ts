import { CommandNotExecutableError, CommandNotFoundError, HostError, type KokerError } from '@koker/core';
import { capabilityNames } from './capabilities.js';

/** What every record carries: when koker-init wrote it, CLOCK_MONOTONIC in nanoseconds (process.hrtime's clock). */
interface Stamped {
  readonly at: bigint;
}

/** One line koker-init reports on its channel. */
export type NativeRecord =
  | (Stamped & {
      readonly kind: 'log';
      readonly message: string;
      readonly fields: Readonly<Record<string, string>>;
    })
  | (Stamped & { readonly kind: 'pid'; readonly pid: number })
  | (Stamped & { readonly kind: 'started'; readonly pid: number })
  | (Stamped & {
      readonly kind: 'error';
      readonly step: string;
      readonly syscall: string;
      readonly errno: string;
      readonly detail: string;
    })
  | (Stamped & { readonly kind: 'exit'; readonly status: { code: number } | { signal: number } })
  | { readonly kind: 'unknown'; readonly line: string };

function unescape(field: string): string {
  return field.replace(/\\([tn\\])/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : '\\'));
}

const CAPABILITY_FIELDS = new Set(['keep', 'effective', 'permitted', 'inheritable']);

/** Parses one record (without its newline): `kind<TAB>time<TAB>field...`, tabs and newlines escaped. */
export function parseNativeRecord(line: string): NativeRecord {
  const [kind = '', time = '', ...rest] = line.split('\t').map(unescape);
  if (!/^\d+$/.test(time)) return { kind: 'unknown', line };
  const at = BigInt(time);
  switch (kind) {
    case 'log': {
      const [message = '', ...pairs] = rest;
      const fields: Record<string, string> = {};
      for (let i = 0; i + 1 < pairs.length; i += 2) {
        const key = pairs[i] as string;
        const value = pairs[i + 1] as string;
        // Capability masks read better as names: `effective=CHOWN,KILL,...`.
        fields[key] =
          CAPABILITY_FIELDS.has(key) && /^[0-9a-f]+$/.test(value)
            ? capabilityNames(BigInt(`0x${value}`)).join(',') || 'none'
            : value;
      }
      return { kind, at, message, fields };
    }
    case 'pid':
    case 'started':
      return { kind, at, pid: Number(rest[0]) };
    case 'error':
      return {
        kind,
        at,
        step: rest[0] ?? '',
        syscall: rest[1] ?? '',
        errno: rest[2] ?? '',
        detail: rest[3] ?? '',
      };
    case 'exit':
      return {
        kind,
        at,
        status: rest[0] === 'signal' ? { signal: Number(rest[1]) } : { code: Number(rest[1]) },
      };
    default:
      return { kind: 'unknown', line };
  }
}

/**
 * What a failed step means for the user, with Docker's exit codes: a command not found is 127,
 * one that cannot be executed 126, anything else koker's own failure (125).
 */
export function nativeError(
  record: Pick<Extract<NativeRecord, { kind: 'error' }>, 'step' | 'syscall' | 'errno' | 'detail'>,
): KokerError {
  const { step, syscall, errno, detail } = record;
  if (step === 'exec' && (syscall === 'execvp' || syscall === 'execve')) {
    if (errno === 'ENOENT') {
      return syscall === 'execvp'
        ? new CommandNotFoundError(`exec: "${detail}": executable file not found in $PATH`, {
            hint: "the command is looked up on the image's PATH, inside the container",
          })
        : new CommandNotFoundError(`exec: "${detail}": no such file or directory`);
    }
    const reason =
      errno === 'EACCES' ? 'permission denied' : errno === 'ENOEXEC' ? 'exec format error' : errno;
    return new CommandNotExecutableError(`exec: "${detail}": ${reason}`);
  }
  // A hook that ran and failed: its own stderr said why.
  if (syscall === 'hook') return new HostError(`${step}: ${detail}`);
  return new HostError(`${step}: ${syscall}${detail ? ` (${detail})` : ''} failed: ${errno}`);
}
