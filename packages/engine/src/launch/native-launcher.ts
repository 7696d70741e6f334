import { spawn, type StdioOptions } from 'node:child_process';
import { type Socket } from 'node:net';
import {
  type ExecPlan,
  type ExitStatus,
  type LaunchedProcess,
  type LaunchOptions,
  type LaunchPlan,
  type Launcher,
  type StdioTarget,
  HostError,
  type KokerError,
  type Logger,
  tracer,
} from '@koker/core';
import {
  encodeExecPlan,
  encodeLaunchPlan,
  encodeMountHoldPlan,
  type MountHoldPlan,
  type NativeOps,
  serializeOps,
} from './native-plan.js';
import { nativeError, parseNativeRecord, type NativeRecord } from './native-report.js';

/**
 * koker-init's steps as they come: each lasts until its next record (all stamped with
 * CLOCK_MONOTONIC, process.hrtime's clock), so its debug line is written once that record is in,
 * with its duration, and it goes to the trace with koker's own steps.
 */
class NativeSteps {
  private pending: Extract<NativeRecord, { kind: 'log' }> | undefined;
  private first = true;

  constructor(
    private readonly log: Logger,
    private readonly spawned: bigint,
    private readonly pid: number,
  ) {}

  /** A record came, written at `at`: the step before it ends there. */
  reached(at: bigint): void {
    const trace = tracer();
    if (this.first) {
      this.first = false;
      // From spawn() to the helper's first word: the fork and exec of every process in between.
      if (trace.enabled) trace.record({ name: 'spawn the native helper', start: this.spawned, end: at });
    }
    const step = this.pending;
    if (!step) return;
    this.pending = undefined;
    const durationMs = Number(at - step.at) / 1e6;
    this.log.debug({ ...step.fields, durationMs }, step.message);
    if (trace.enabled)
      trace.record({
        name: step.message,
        start: step.at,
        end: at,
        ...(Object.keys(step.fields).length > 0 ? { args: step.fields } : {}),
        thread: { name: 'koker-init', id: this.pid },
      });
  }

  begin(step: Extract<NativeRecord, { kind: 'log' }>): void {
    this.pending = step;
  }
}

function stdioOption(target: StdioTarget): 'inherit' | 'ignore' | number {
  return target === 'null' ? 'ignore' : target;
}

/**
 * The Launcher made of koker-init (native/): the plan goes to it on fd 3, a socket, and its
 * reports come back on the same socket, each step logged at debug as it happens.
 */
export class NativeLauncher implements Launcher {
  readonly name = 'native';

  constructor(
    private readonly helper: string,
    private readonly log: Logger,
  ) {}

  start(plan: LaunchPlan, options: LaunchOptions = {}): Promise<LaunchedProcess> {
    return this.launch(encodeLaunchPlan(plan, options), plan.process.stdin, options);
  }

  exec(plan: ExecPlan, options: LaunchOptions = {}): Promise<LaunchedProcess> {
    return this.launch(encodeExecPlan(plan, options), plan.process.stdin, options);
  }

  /** A stopped container's mounts, held by a process until it is killed (encodeMountHoldPlan). */
  hold(plan: MountHoldPlan): Promise<LaunchedProcess> {
    return this.launch(encodeMountHoldPlan(plan), false, { stdio: ['null', 'null', 'inherit'] });
  }

  private launch(ops: NativeOps, stdin: boolean, options: LaunchOptions): Promise<LaunchedProcess> {
    const stdio = options.stdio ?? [stdin ? 'inherit' : 'null', 'inherit', 'inherit'];
    const argv = [...(options.wrapper ?? []), this.helper];
    this.log.debug({ helper: argv.join(' '), ops: ops.length }, 'Start native helper');
    const spawned = process.hrtime.bigint();
    // Its own process group: a Ctrl-C on the terminal reaches koker alone, which forwards it once.
    const child = spawn(argv[0] as string, argv.slice(1), {
      // The caller's fds 3.. go after the channel (4..); koker-init moves them back to 3.. at execve.
      stdio: [
        ...stdio.map(stdioOption),
        'pipe',
        ...Array.from({ length: options.passFds ?? 0 }, (_, i) => 3 + i),
      ] as StdioOptions,
      detached: true,
    });
    const steps = new NativeSteps(this.log, spawned, child.pid ?? 0);
    const channel = child.stdio[3] as Socket;
    channel.end(serializeOps(ops));

    let pid: number | undefined;
    let failure: KokerError | undefined;
    let exit: ExitStatus | undefined;
    let started = false;
    const ended = new Promise<ExitStatus>((resolve, reject) => {
      child.once('error', (error) =>
        reject(
          new HostError(`cannot start the native helper ${this.helper}: ${error.message}`, {
            cause: error,
            hint: 'build it with npm run build (make in native/)',
          }),
        ),
      );
      child.once('close', (code, signal) => {
        if (exit) resolve(exit);
        else if (signal) reject(new HostError(`the native helper was killed by ${signal}`));
        else resolve({ code: code ?? 125 });
      });
    });

    return new Promise<LaunchedProcess>((resolve, reject) => {
      const launched: LaunchedProcess = {
        get pid() {
          return pid ?? -1;
        },
        wait: () => ended,
        kill: (signal) => {
          if (exit || child.exitCode !== null || child.signalCode !== null) return;
          // SIGKILL and SIGSTOP cannot be caught, so not forwarded: they go to the process itself.
          if (
            (signal === 'SIGKILL' || signal === 9 || signal === 'SIGSTOP' || signal === 19) &&
            pid !== undefined
          )
            globalThis.process.kill(pid, signal);
          else child.kill(signal);
        },
      };
      const onRecord = (record: NativeRecord) => {
        if (record.kind !== 'unknown') steps.reached(record.at);
        switch (record.kind) {
          case 'log':
            steps.begin(record);
            break;
          case 'pid':
            pid = record.pid;
            break;
          case 'started':
            started = true;
            pid = record.pid;
            // `pid` is a field the console format leaves out (pino's own): hence hostPid.
            this.log.debug({ hostPid: pid }, 'Container process started');
            if (options.detached) {
              channel.destroy();
              child.unref();
            }
            resolve(launched);
            break;
          case 'error':
            failure ??= nativeError(record);
            this.log.debug(
              { step: record.step, syscall: record.syscall, errno: record.errno, detail: record.detail },
              'Native step failed',
            );
            break;
          case 'exit':
            exit = record.status;
            break;
          default:
            this.log.debug({ line: record.line }, 'Unknown report from the native helper');
        }
      };
      let buffered = '';
      channel.setEncoding('utf8');
      channel.on('data', (chunk: string) => {
        buffered += chunk;
        for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
          onRecord(parseNativeRecord(buffered.slice(0, nl)));
          buffered = buffered.slice(nl + 1);
        }
      });
      channel.on('error', () => undefined);
      channel.on('close', () => steps.reached(process.hrtime.bigint()));
      // Not started: wait for the helper to end (nothing may outlive a failed start), then fail.
      ended.then(
        (status) => {
          if (!started)
            reject(
              failure ??
                new HostError(
                  `the native helper ended before the command started (${JSON.stringify(status)})`,
                ),
            );
        },
        (error: unknown) => {
          if (!started) reject(failure ?? error);
        },
      );
    });
  }
}
