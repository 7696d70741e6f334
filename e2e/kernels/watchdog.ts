// A check that never finishes inside a guest would otherwise run into boot-guest's timeout with
// nothing said. The watchdog lives in a worker thread, so it still fires when the main thread is
// blocked in a system call; it prints what every process of the guest is waiting on (ps, and the
// kernel stack of each) straight to fd 1, then kills this process so the guest fails at once.
import { Worker } from 'node:worker_threads';

const WATCHDOG_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { spawnSync } = require('node:child_process');
const { readdirSync, readFileSync, writeSync } = require('node:fs');
let timer;
const say = (text) => writeSync(1, text.endsWith('\\n') ? text : text + '\\n');
function read(path) {
  try { return readFileSync(path, 'utf8'); } catch { return ''; }
}
function report(name) {
  say('STUCK ' + name + ': not finished after ' + workerData.ms + ' ms; the guest processes:');
  const ps = spawnSync('ps', ['-eo', 'pid,ppid,stat,wchan:24,etimes,args', '--sort', 'pid'], { encoding: 'utf8' });
  // Without kthreadd (PID 2) and its kernel threads.
  say((ps.stdout || String(ps.error)).split('\\n').filter((line) => !/^\\s*(2|\\d+\\s+2)\\s/.test(line)).join('\\n'));
  for (const pid of readdirSync('/proc').filter((entry) => /^\\d+$/.test(entry))) {
    if (read('/proc/' + pid + '/cmdline') === '') continue; // kernel threads
    for (const tid of (() => { try { return readdirSync('/proc/' + pid + '/task'); } catch { return []; } })()) {
      const stack = read('/proc/' + pid + '/task/' + tid + '/stack').trim();
      const state = /State:\\s+(\\S+)/.exec(read('/proc/' + pid + '/task/' + tid + '/status'))?.[1];
      // Each process's main thread, and any other thread that is not just sleeping.
      if (stack && (tid === pid || state !== 'S')) say('task ' + pid + '/' + tid + ' ' + state + ':\\n' + stack);
    }
  }
  process.kill(workerData.pid, 'SIGKILL');
}
parentPort.on('message', (name) => {
  clearTimeout(timer);
  if (name) timer = setTimeout(report, workerData.ms, name);
});
`;

export interface Watchdog {
  /** Arms the watchdog for the check about to run. */
  start(name: string): void;
  /** Disarms it: the check finished. */
  done(): void;
  stop(): Promise<void>;
}

export function startWatchdog(ms: number): Watchdog {
  const worker = new Worker(WATCHDOG_SOURCE, { eval: true, workerData: { ms, pid: process.pid } });
  worker.unref();
  return {
    start: (name) => worker.postMessage(name),
    done: () => worker.postMessage(''),
    stop: async () => {
      await worker.terminate();
    },
  };
}
