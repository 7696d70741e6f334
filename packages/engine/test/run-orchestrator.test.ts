import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CommandNotFoundError,
  parseDigest,
  type ContainerId,
  type ExitStatus,
  type LaunchOptions,
  type LaunchPlan,
  type LaunchedProcess,
  type Launcher,
  type NetworkDriver,
  type ResourceDriver,
  type StorageDriver,
} from '@koker/core';
import { FileStateStore, RunOrchestrator, type RunImage, type RunRequest } from '../src/index.js';
import { createLogger } from '@koker/log';

const log = createLogger({ level: 'silent', format: 'json' });
let root: string;
let rootfs: string;
let store: FileStateStore;
let calls: string[];
let fail: Partial<Record<'prepare' | 'create' | 'attach' | 'start', Error>>;
let exit: { resolve: (status: ExitStatus) => void };
let plans: LaunchPlan[];
let killed: (string | number)[];
let oom: boolean;
let onPrepare: () => void;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'koker-test-run-'));
  rootfs = join(root, 'rootfs');
  await mkdir(join(rootfs, 'etc'), { recursive: true });
  await writeFile(
    join(rootfs, 'etc', 'passwd'),
    'root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n',
  );
  await writeFile(join(rootfs, 'etc', 'group'), 'root:x:0:\napp:x:1000:\n');
  store = new FileStateStore(root, undefined, { mountPoints: () => [] });
  calls = [];
  fail = {};
  plans = [];
  killed = [];
  oom = false;
  onPrepare = () => undefined;
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const short = (id: ContainerId) => id.slice(0, 4);
function drivers() {
  const step = async <T>(name: keyof typeof fail, call: string, value: T): Promise<T> => {
    calls.push(call);
    const error = fail[name];
    if (error) throw error;
    return value;
  };
  const storage = {
    name: 'fake-rootfs',
    prepare: async (id: ContainerId) => {
      onPrepare();
      return step('prepare', `prepare ${short(id)}`, { path: rootfs, readOnly: false });
    },
    release: async (id: ContainerId) => {
      calls.push(`release ${short(id)}`);
      return [];
    },
  } as unknown as StorageDriver;
  const resources = {
    name: 'fake-cgroups',
    validate: async () => void calls.push('validate'),
    create: async (id: ContainerId) => step('create', `create ${short(id)}`, { procsFiles: ['/cg/procs'] }),
    oomKilled: async (id: ContainerId) => {
      calls.push(`oomKilled ${short(id)}`);
      return oom;
    },
    destroy: async (id: ContainerId) => void calls.push(`destroy ${short(id)}`),
  } as unknown as ResourceDriver;
  const network = {
    name: 'fake-net',
    attach: async (id: ContainerId) =>
      step('attach', `attach ${short(id)}`, {
        mode: 'none',
        ports: [],
        resolvConf: 'nameserver 10.0.0.1\n',
        hostsEntries: [],
      }),
    detach: async (id: ContainerId) => void calls.push(`detach ${short(id)}`),
  } as unknown as NetworkDriver;
  const launcher: Launcher = {
    name: 'fake-launcher',
    start: async (plan: LaunchPlan, _options?: LaunchOptions): Promise<LaunchedProcess> => {
      plans.push(plan);
      await step('start', 'start', undefined);
      const ended = new Promise<ExitStatus>((resolve) => (exit = { resolve }));
      return { pid: 4242, wait: () => ended, kill: (signal) => void killed.push(signal) };
    },
    exec: async () => {
      throw new Error('not used');
    },
  };
  return { storage, resources, network, launcher, state: store };
}

const image: RunImage = {
  reference: 'busybox',
  record: {
    id: parseDigest(`sha256:${'c'.repeat(64)}`),
    repoTags: ['busybox:latest'],
    repoDigests: [],
    architecture: 'amd64',
    os: 'linux',
    size: 1,
    diffIds: [],
    chainIds: [],
    config: { Cmd: ['sh'], Env: ['PATH=/bin'] },
    stored: new Date().toISOString(),
  },
  layerDirs: ['/layers/1'],
};
const request = (more: Partial<RunRequest> = {}): RunRequest => ({
  image: 'busybox',
  process: { args: ['echo', 'hi'], env: [], tty: false, interactive: false },
  limits: {},
  network: { mode: 'none', ports: [], dns: [] },
  readOnlyRootfs: false,
  init: false,
  autoRemove: true,
  ...more,
});
const host = { cgroupNamespace: true, capabilities: () => ['CHOWN'] };

/** Runs, and ends the container with `status` once it has started. */
async function runUntil(status: ExitStatus, more: Partial<RunRequest> = {}) {
  const orchestrator = new RunOrchestrator(drivers(), log, host);
  const running = orchestrator.run(request(more), image);
  const end = setInterval(() => {
    if (plans.length > 0 && exit) {
      clearInterval(end);
      exit.resolve(status);
    }
  }, 5);
  try {
    return await running;
  } finally {
    clearInterval(end);
  }
}

describe('RunOrchestrator', () => {
  it('sets up rootfs, cgroups and network in order, launches, and releases in reverse', async () => {
    const outcome = await runUntil({ code: 3 });
    const id = short(outcome.id);
    expect(outcome).toMatchObject({ exitCode: 3, oomKilled: false });
    expect(calls).toEqual([
      'validate',
      `prepare ${id}`,
      `create ${id}`,
      `attach ${id}`,
      'start',
      `oomKilled ${id}`,
      `detach ${id}`,
      `destroy ${id}`,
      `release ${id}`,
    ]);
    // --rm: the record is gone.
    expect((await store.list()).records).toEqual([]);
  });

  it('launches the plan made from the image, the flags and the drivers', async () => {
    await runUntil(
      { code: 0 },
      { process: { args: [], env: ['A=1'], user: 'app', tty: false, interactive: false } },
    );
    const [plan] = plans;
    expect(plan?.rootfs).toBe(rootfs);
    expect(plan?.cgroups.procsFiles).toEqual(['/cg/procs']);
    expect(plan?.newNamespaces).toEqual(['mount', 'uts', 'ipc', 'pid', 'net', 'cgroup']);
    expect(plan?.process).toMatchObject({ args: ['sh'], uid: 1000, gid: 1000, cwd: '/' });
    expect(plan?.process.env).toEqual(['PATH=/bin', `HOSTNAME=${plan?.hostname}`, 'A=1', 'HOME=/home/app']);
    expect(plan?.mounts.find((m) => m.target === '/etc/resolv.conf')?.source).toMatch(/resolv\.conf$/);
  });

  it('keeps the record of a container run without --rm, with its exit code', async () => {
    const outcome = await runUntil({ signal: 9 }, { autoRemove: false, name: undefined });
    expect(outcome.exitCode).toBe(137);
    const record = await store.get(outcome.id);
    expect(record).toMatchObject({ status: 'exited', exitCode: 137, oomKilled: false });
    expect(record.pid).toBeUndefined();
    expect(record.spec?.process.args).toEqual(['echo', 'hi']);
  });

  it('reports an OOM kill that the resources driver saw, asked before its cgroups go', async () => {
    oom = true;
    const outcome = await runUntil({ signal: 9 });
    expect(outcome.oomKilled).toBe(true);
    expect(calls.indexOf(`oomKilled ${short(outcome.id)}`)).toBeLessThan(
      calls.indexOf(`destroy ${short(outcome.id)}`),
    );
  });

  it('create records the container, unlocked and Created, and makes nothing else', async () => {
    const orchestrator = new RunOrchestrator(drivers(), log, host);
    const id = await orchestrator.create(request({ autoRemove: true }), image);
    expect(calls).toEqual(['validate']);
    const record = await store.get(id);
    expect(record).toMatchObject({ status: 'created', awaitingStart: true, autoRemove: true });
    expect(record.spec?.process.args).toEqual(['echo', 'hi']);
    expect(store.isLocked(id)).toBe(false);
  });

  it('a create that fails leaves no record', async () => {
    const orchestrator = new RunOrchestrator(drivers(), log, host);
    await expect(
      orchestrator.create(request({ autoRemove: false }), image, {
        onCreated: () => {
          throw new Error('no cidfile');
        },
      }),
    ).rejects.toThrow('no cidfile');
    expect((await store.list()).records).toEqual([]);
  });

  it('releases what was set up when a step fails, and records why', async () => {
    fail.attach = new Error('no bridge');
    const orchestrator = new RunOrchestrator(drivers(), log, host);
    await expect(orchestrator.run(request({ autoRemove: false }), image)).rejects.toThrow('no bridge');
    const ids = calls.filter((c) => c.startsWith('prepare')).map((c) => c.split(' ')[1]);
    expect(calls.slice(-2)).toEqual([`destroy ${ids[0]}`, `release ${ids[0]}`]);
    const [record] = (await store.list()).records;
    expect(record).toMatchObject({ status: 'exited', exitCode: 125, reason: 'no bridge' });
  });

  it("records the launcher's 127 when the command is not found, and tears down", async () => {
    fail.start = new CommandNotFoundError('exec: "nope": executable file not found in $PATH');
    const orchestrator = new RunOrchestrator(drivers(), log, host);
    await expect(orchestrator.run(request({ autoRemove: false }), image)).rejects.toThrow(
      CommandNotFoundError,
    );
    expect(calls.slice(-3).map((c) => c.split(' ')[0])).toEqual(['detach', 'destroy', 'release']);
    expect((await store.list()).records[0]).toMatchObject({ exitCode: 127 });
  });

  it('stops the setup on SIGTERM and releases what it had', async () => {
    onPrepare = () => void process.emit('SIGTERM');
    const orchestrator = new RunOrchestrator(drivers(), log, host);
    await expect(orchestrator.run(request(), image)).rejects.toThrow('interrupted by SIGTERM');
    expect(calls.map((c) => c.split(' ')[0])).toEqual(['validate', 'prepare', 'release']);
    expect((await store.list()).records).toEqual([]);
  });

  it('forwards signals to the container once it runs', async () => {
    const orchestrator = new RunOrchestrator(drivers(), log, host);
    const running = orchestrator.run(request(), image);
    while (plans.length === 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20));
    process.emit('SIGINT');
    process.emit('SIGTERM');
    exit.resolve({ code: 130 });
    expect((await running).exitCode).toBe(130);
    expect(killed).toEqual(['SIGINT', 'SIGTERM']);
  });
});
