import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  DEFAULT_CONFIG,
  DriverCatalog,
  Resources,
  type CgroupPlacement,
  type ResourceDriver,
} from '@koker/core';
import { HostFacts } from '@koker/host';
import { createLogger } from '@koker/log';
import { type CgroupDriverDeps } from '@koker/cgroups';
import { CgroupHybridDriver, register as registerHybrid } from '@koker/driver-cgroup-hybrid';
import { CgroupV1Driver, register as registerV1 } from '@koker/driver-cgroup-v1';
import { CgroupV2Driver, register as registerV2 } from '@koker/driver-cgroup-v2';

const BUILDERS: Record<string, (deps: CgroupDriverDeps) => ResourceDriver> = {
  'cgroup-v1': (deps) => new CgroupV1Driver(deps),
  'cgroup-v2': (deps) => new CgroupV2Driver(deps),
  'cgroup-hybrid': (deps) => new CgroupHybridDriver(deps),
};

export const EXPECTED_DRIVER = {
  legacy: 'cgroup-v1',
  hybrid: 'cgroup-hybrid',
  unified: 'cgroup-v2',
} as const;

/** What auto-detection picks on this kernel, built for `root` (default: a temporary one of its own). */
export async function detectedDriver(givenRoot?: string): Promise<{
  name: string;
  mode: string;
  driver: ResourceDriver;
  /** The temporary koker root the driver's parent cgroup is derived from. */
  root: string;
  cleanup: () => void;
}> {
  const host = new HostFacts();
  const catalog = new DriverCatalog();
  for (const register of [registerV2, registerHybrid, registerV1]) register(catalog);
  const root = givenRoot ?? mkdtempSync(join(tmpdir(), 'koker-e2e-cgroups-'));
  const selection = await catalog.select(Resources, { host, config: { ...DEFAULT_CONFIG, root } });
  const build = BUILDERS[selection.chosen.name];
  if (!build) throw new Error(`unexpected driver ${selection.chosen.name}`);
  const log = createLogger({ level: process.env.KOKER_E2E_DEBUG ? 'debug' : 'silent', format: 'console' });
  return {
    name: selection.chosen.name,
    mode: host.cgroupLayout.mode,
    driver: build({ host, config: { root }, log }),
    root,
    cleanup: () => {
      if (givenRoot === undefined) rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface Payload {
  readonly pid: number;
  /** Resolves with the exit code a shell reports: the code, or 128 + the signal number. */
  readonly exited: Promise<number>;
  readonly output: () => string;
}

const SIGNALS: Record<string, number> = { SIGKILL: 9, SIGTERM: 15, SIGINT: 2 };

/**
 * Starts `command` the way koker's launcher does: the process writes its own PID into every
 * procs file first, then execs the payload, so nothing of the payload runs outside the cgroups.
 */
export function startIn(placement: CgroupPlacement, command: string): Payload {
  const join = placement.procsFiles.map((f) => `echo $$ > '${f}' || exit 99`).join('; ');
  const child = spawn('/bin/sh', ['-c', `${join}; exec ${command}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? 128 + (SIGNALS[signal ?? ''] ?? 0)));
  });
  return { pid: child.pid ?? -1, exited, output: () => output };
}

/** Waits until a started payload has joined its cgroups (its PID is in the last procs file). */
export async function joined(placement: CgroupPlacement, payload: Payload): Promise<void> {
  const last = placement.procsFiles[placement.procsFiles.length - 1] ?? '';
  const deadline = Date.now() + 10_000;
  while (!readFileSync(last, 'utf8').split('\n').includes(String(payload.pid))) {
    if (Date.now() > deadline) throw new Error(`process ${payload.pid} never joined ${last}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function runIn(
  placement: CgroupPlacement,
  command: string,
): Promise<{ code: number; output: string }> {
  const payload = startIn(placement, command);
  const code = await payload.exited;
  return { code, output: payload.output() };
}

/** Allocates (and touches) 20 MiB in one buffer: the Go koker's memory example (killed under --mem 10). */
export const ALLOCATE_20_MIB = ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=20M', 'count=1'] as const;

/** The `max` count of pids.events in whichever of the container's cgroups is the pids one. */
export function pidsEvents(procsFiles: readonly string[]): number {
  const dir = procsFiles.map(dirname).find((d) => existsSync(`${d}/pids.events`));
  if (dir === undefined) throw new Error('no pids.events next to the procs files');
  return Number(/max (\d+)/.exec(readFileSync(`${dir}/pids.events`, 'utf8'))?.[1] ?? 'NaN');
}
