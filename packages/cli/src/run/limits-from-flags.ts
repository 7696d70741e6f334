import {
  InvalidValueError,
  UsageError,
  bytes,
  parseByteSize,
  parseCpus,
  type ByteSize,
  type ResourceLimits,
} from '@koker/core';
import { formatCpuList, parseCpuList } from '@koker/cgroups';

/** The resource flags of `run`, as commander hands them over (strings, absent when not given). */
export interface LimitFlags {
  /** `-m/--memory` with units, Docker's way (`512m`; a bare number is bytes). */
  readonly memory?: string;
  /** The Go koker's `--mem`: MiB. */
  readonly mem?: string;
  /** `--memory-swap`: memory + swap; `-1` unlimited; `0` unset. */
  readonly memorySwap?: string;
  /** The Go koker's `--swap`: MiB of swap on top of memory; `-1` unlimited. */
  readonly swap?: string;
  readonly cpus?: string;
  readonly cpuShares?: string;
  readonly cpusetCpus?: string;
  /** `--pids-limit`, and the Go koker's `--pids`: `-1` or `0` for no limit. */
  readonly pidsLimit?: string;
  readonly pids?: string;
  /** `--memory-reservation`: a soft limit with units. */
  readonly memoryReservation?: string;
  /** `--cgroup-parent`: checked by the resources driver, which knows the hierarchies. */
  readonly cgroupParent?: string;
}

function conflict(a: string, b: string, what: string): UsageError {
  return new UsageError(`conflicting options: ${a} and ${b} both set ${what}`, {
    hint: `give only one of ${a} and ${b}`,
  });
}

function wholeNumber(what: string, input: string): number {
  if (!/^-?\d+$/.test(input.trim())) throw new InvalidValueError(what, input, 'expected a whole number');
  return Number(input.trim());
}

function memoryFrom(flags: LimitFlags): ByteSize | undefined {
  if (flags.memory !== undefined && flags.mem !== undefined)
    throw conflict('-m/--memory', '--mem', 'the memory limit');
  const size =
    flags.memory !== undefined
      ? parseByteSize(flags.memory)
      : flags.mem !== undefined
        ? parseByteSize(flags.mem, { defaultUnit: 'm' })
        : undefined;
  // Docker: 0 means no limit.
  return size === 0 ? undefined : size;
}

function memorySwapFrom(flags: LimitFlags, memory: ByteSize | undefined): ResourceLimits['memorySwap'] {
  if (flags.memorySwap !== undefined && flags.swap !== undefined)
    throw conflict('--memory-swap', '--swap', 'the swap limit');
  if (flags.memorySwap !== undefined) {
    const text = flags.memorySwap.trim();
    if (text === '-1') return 'unlimited';
    const total = parseByteSize(text);
    return total === 0 ? undefined : total;
  }
  if (flags.swap !== undefined) {
    const text = flags.swap.trim();
    if (memory === undefined)
      throw new UsageError('--swap needs a memory limit: it adds swap on top of --mem or -m/--memory', {
        hint: 'e.g. --mem 100 --swap 50',
      });
    if (text === '-1') return 'unlimited';
    return bytes(memory + parseByteSize(text, { defaultUnit: 'm' }));
  }
  return undefined;
}

function pidsFrom(flags: LimitFlags): ResourceLimits['pidsLimit'] {
  if (flags.pidsLimit !== undefined && flags.pids !== undefined)
    throw conflict('--pids-limit', '--pids', 'the PIDs limit');
  const text = flags.pidsLimit ?? flags.pids;
  if (text === undefined) return undefined;
  const n = wholeNumber('PIDs limit', text);
  if (n === 0 || n === -1) return 'unlimited';
  if (n < 0)
    throw new InvalidValueError('PIDs limit', text, 'expected a positive number, or -1 (or 0) for no limit');
  return n;
}

/**
 * `run`'s resource flags to core's ResourceLimits, with Docker's meaning: `--memory-swap` is the
 * memory + swap total (`-1` unlimited); the Go koker's `--mem`/`--swap` are MiB, swap on top of memory;
 * 0 means "not set" for memory, swap, CPUs and shares as in Docker. Whether the host can honour
 * the values is the resources driver's `validate`.
 */
export function limitsFromFlags(flags: LimitFlags): ResourceLimits {
  const memory = memoryFrom(flags);
  const memorySwap = memorySwapFrom(flags, memory);
  const nano = flags.cpus === undefined ? undefined : parseCpus(flags.cpus);
  const shares = flags.cpuShares === undefined ? undefined : wholeNumber('CPU shares', flags.cpuShares);
  const cpuset =
    flags.cpusetCpus === undefined ? undefined : formatCpuList(parseCpuList(flags.cpusetCpus, 'cpuset'));
  const pidsLimit = pidsFrom(flags);
  const reservation =
    flags.memoryReservation === undefined ? undefined : parseByteSize(flags.memoryReservation);
  return {
    ...(memory !== undefined ? { memory } : {}),
    ...(memorySwap !== undefined ? { memorySwap } : {}),
    ...(nano !== undefined && nano !== 0 ? { nanoCpus: nano } : {}),
    ...(shares !== undefined && shares !== 0 ? { cpuShares: shares } : {}),
    ...(cpuset !== undefined ? { cpusetCpus: cpuset } : {}),
    ...(pidsLimit !== undefined ? { pidsLimit } : {}),
    ...(reservation ? { memoryReservation: reservation } : {}),
    ...(flags.cgroupParent !== undefined && flags.cgroupParent !== ''
      ? { cgroupParent: flags.cgroupParent }
      : {}),
  };
}
