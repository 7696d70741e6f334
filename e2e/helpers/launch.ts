import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  NativeLauncher,
  buildExecPlan,
  buildLaunchPlan,
  parseGroup,
  parsePasswd,
  processRequest,
  readFileInProcessRoot,
  readFileInRoot,
  resolveProcess,
  type ProcessFlags,
} from '@koker/engine';
import { createLogger } from '@koker/log';
import { nativeHelperPath } from '@koker/host';
import { newContainerId, type ExitStatus, type LaunchPlan, type LaunchedProcess } from '@koker/core';

export interface LaunchResult {
  readonly status: ExitStatus;
  readonly stdout: string;
  readonly stderr: string;
  /** Every record the launcher logged (pino objects: msg and fields). */
  readonly logs: Record<string, unknown>[];
}

export interface LaunchTestOptions {
  readonly flags?: Partial<ProcessFlags>;
  readonly plan?: Partial<LaunchPlan>;
  readonly privileged?: boolean;
  readonly init?: boolean;
  /** Runs while the container runs; the container is killed after it if still running. */
  readonly during?: (process: LaunchedProcess) => Promise<void>;
}

/**
 * Starts a container from a plain rootfs directory through the real launcher, the way `run`
 * does (network none, no cgroups), and collects its stdout, stderr and the launcher's logs.
 */
export async function launchIn(
  rootfs: string,
  args: string[],
  options: LaunchTestOptions = {},
): Promise<LaunchResult> {
  const work = mkdtempSync('/tmp/koker-e2e-launch-');
  const logFd = openSync(join(work, 'log'), 'w+');
  const log = createLogger({ level: 'debug', format: 'json', fd: logFd });
  const id = newContainerId();
  const hostname = id.slice(0, 12);
  const files = {
    hostname: join(work, 'hostname'),
    hosts: join(work, 'hosts'),
    resolvConf: join(work, 'resolv.conf'),
  };
  writeFileSync(files.hostname, `${hostname}\n`);
  writeFileSync(files.hosts, `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n`);
  writeFileSync(files.resolvConf, 'nameserver 127.0.0.53\n');
  const request = processRequest(
    {},
    {
      args,
      env: [],
      tty: false,
      interactive: false,
      hostname,
      privileged: options.privileged ?? false,
      ...options.flags,
    },
  );
  const process = resolveProcess(request, {
    passwd: parsePasswd(readFileInRoot(rootfs, '/etc/passwd') ?? ''),
    groups: parseGroup(readFileInRoot(rootfs, '/etc/group') ?? ''),
  });
  const plan = {
    ...buildLaunchPlan({
      id,
      rootfs: { path: rootfs, readOnly: false },
      hostname,
      process,
      cgroups: { procsFiles: [] },
      network: { mode: 'none' },
      files,
      privileged: options.privileged ?? false,
      init: options.init ?? false,
      cgroupNamespace: true,
    }),
    ...options.plan,
  };
  const stdout = openSync(join(work, 'stdout'), 'w+');
  const stderr = openSync(join(work, 'stderr'), 'w+');
  try {
    const launcher = new NativeLauncher(nativeHelperPath(globalThis.process.env.KOKER_NATIVE_HELPER), log);
    const launched = await launcher.start(plan, { stdio: ['null', stdout, stderr] });
    if (options.during) {
      try {
        await options.during(launched);
      } finally {
        // Whatever the check did, the container ends: on its own within 5 s, or killed.
        const timer = setTimeout(() => launched.kill('SIGKILL'), 5000);
        await launched.wait().finally(() => clearTimeout(timer));
      }
    }
    const status = await launched.wait();
    return {
      status,
      stdout: readFileSync(join(work, 'stdout'), 'utf8'),
      stderr: readFileSync(join(work, 'stderr'), 'utf8'),
      logs: readLogs(join(work, 'log')),
    };
  } finally {
    closeSync(logFd);
    closeSync(stdout);
    closeSync(stderr);
    rmSync(work, { recursive: true, force: true });
  }
}

function readLogs(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Runs a command in the namespaces (and cgroups) of a running container's process, as `exec` does. */
export async function execIn(
  pid: number,
  args: string[],
  options: { flags?: Partial<ProcessFlags>; procsFiles?: string[]; rootfs: string },
): Promise<LaunchResult> {
  const work = mkdtempSync('/tmp/koker-e2e-exec-');
  const logFd = openSync(join(work, 'log'), 'w+');
  const stdout = openSync(join(work, 'stdout'), 'w+');
  const stderr = openSync(join(work, 'stderr'), 'w+');
  try {
    const log = createLogger({ level: 'debug', format: 'json', fd: logFd });
    const request = processRequest(
      {},
      { args, env: [], tty: false, interactive: false, hostname: 'unused', ...options.flags },
    );
    const process = resolveProcess(request, {
      passwd: parsePasswd(readFileInProcessRoot(pid, '/etc/passwd') ?? ''),
      groups: parseGroup(readFileInProcessRoot(pid, '/etc/group') ?? ''),
    });
    const plan = buildExecPlan({
      id: newContainerId(),
      pid,
      process,
      cgroups: { procsFiles: options.procsFiles ?? [] },
    });
    const launched = await new NativeLauncher(
      nativeHelperPath(globalThis.process.env.KOKER_NATIVE_HELPER),
      log,
    ).exec(plan, {
      stdio: ['null', stdout, stderr],
    });
    const status = await launched.wait();
    return {
      status,
      stdout: readFileSync(join(work, 'stdout'), 'utf8'),
      stderr: readFileSync(join(work, 'stderr'), 'utf8'),
      logs: readLogs(join(work, 'log')),
    };
  } finally {
    closeSync(logFd);
    closeSync(stdout);
    closeSync(stderr);
    rmSync(work, { recursive: true, force: true });
  }
}
