import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  alive,
  cgroupsOf,
  firstLine,
  startContainerSuite,
  waitFor,
  type ContainerSuite,
} from './helpers/container-suite.js';

// Detached containers end to end: the real koker, as root, an image from a registry on loopback,
// bridge networking on a bridge of this suite's own.
let suite: ContainerSuite;
beforeAll(async () => {
  suite = await startContainerSuite();
});
afterAll(async () => {
  await suite?.stop();
  expect(suite?.leaks() ?? []).toEqual([]);
});

interface Inspected {
  Id: string;
  Name: string;
  State: {
    Status: string;
    Running: boolean;
    Pid: number;
    ExitCode: number;
    OOMKilled: boolean;
    StartedAt: string;
    FinishedAt: string;
    Error: string;
  };
  Config: { Image: string; Cmd: string[]; Entrypoint: string[] | null; Env: string[] };
  HostConfig: { Memory: number; PidsLimit: number | null };
  NetworkSettings: { IPAddress: string; Ports: Record<string, { HostIp: string; HostPort: string }[]> };
}

async function inspect(name: string): Promise<Inspected> {
  const [doc] = JSON.parse(await suite.must(['inspect', name])) as Inspected[];
  if (!doc) throw new Error(`nothing inspected for ${name}`);
  return doc;
}

async function runDetached(...args: string[]): Promise<string> {
  return firstLine(await suite.must(['run', '-d', ...args]));
}

async function waitExited(name: string): Promise<Inspected> {
  let doc = await inspect(name);
  await waitFor(async () => (doc = await inspect(name)).State.Status === 'exited', `${name} to exit`);
  return doc;
}

describe('run -d', () => {
  it('prints the ID and returns while the container runs; ps, inspect and logs see it', async () => {
    const id = await runDetached(
      '--name',
      'web',
      '-m',
      '64m',
      suite.image,
      'sh',
      '-c',
      'echo started; echo problem >&2; exec sleep 1000',
    );
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const doc = await inspect('web');
    expect(doc).toMatchObject({
      Id: id,
      Name: '/web',
      State: {
        Status: 'running',
        Running: true,
        ExitCode: 0,
        OOMKilled: false,
        FinishedAt: '0001-01-01T00:00:00Z',
      },
      Config: {
        Image: suite.image,
        Cmd: ['sh', '-c', 'echo started; echo problem >&2; exec sleep 1000'],
        Entrypoint: null,
      },
      HostConfig: { Memory: 64 * 1024 * 1024 },
    });
    expect(doc.NetworkSettings.IPAddress.startsWith(`${suite.subnetPrefix}.`)).toBe(true);
    // The PID is the container's first process, in the container's own cgroup.
    expect(readFileSync(`/proc/${doc.State.Pid}/cmdline`, 'utf8')).toBe('sleep\u00001000\u0000');
    expect(cgroupsOf(doc.State.Pid).some((line) => line.includes(id))).toBe(true);

    const ps = await suite.must(['ps']);
    const [header, row] = ps.trimEnd().split('\n');
    expect(header).toMatch(/^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$/);
    expect(row).toMatch(
      new RegExp(
        `^${id.slice(0, 12)} +${suite.image.replace(/[.]/g, '\\.')} +"sh -c echo started;…" +.+ ago +Up .+ +web$`,
      ),
    );
    expect((await suite.must(['ps', '-q'])).trim()).toBe(id.slice(0, 12));
    expect((await suite.must(['ps', '-q', '--no-trunc'])).trim()).toBe(id);
    const json = JSON.parse(await suite.must(['ps', '--format', 'json'])) as Record<string, string>;
    expect(json).toMatchObject({ ID: id.slice(0, 12), Names: 'web', State: 'running', Image: suite.image });

    await waitFor(async () => (await suite.must(['logs', 'web'])).includes('started'), 'the first log line');
    const logs = await suite.koker(['logs', 'web']);
    expect(logs.stdout).toBe('started\n');
    expect(logs.stderr).toBe('problem\n');
    const stamped = await suite.must(['logs', '-t', 'web']);
    expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z started\n$/);

    await suite.must(['rm', '-f', 'web']);
    expect(alive(doc.State.Pid)).toBe(false);
    expect(suite.containerDirs()).toEqual([]);
  });

  it('records how a container ended: ps -a, inspect, and the exit code', async () => {
    const id = await runDetached(suite.image, 'sh', '-c', 'echo out; exit 3');
    const doc = await waitExited(id.slice(0, 8));
    expect(doc.State).toMatchObject({ Status: 'exited', Running: false, Pid: 0, ExitCode: 3, Error: '' });
    expect(Date.parse(doc.State.FinishedAt)).toBeGreaterThanOrEqual(Date.parse(doc.State.StartedAt));
    expect(await suite.must(['ps', '-q'])).toBe('');
    expect(await suite.must(['ps', '-a'])).toMatch(/Exited \(3\) .* ago/);
    expect(await suite.must(['logs', id])).toBe('out\n');
    // What it held is gone once it ended: cgroups, network namespace, veth, rootfs mount.
    const leftovers = suite.containerLeaks().filter((l) => l.includes(id.slice(0, 12)) || l.includes(id));
    expect(leftovers).toEqual([]);
    await suite.must(['rm', id]);
  });

  it('logs -f follows the output until the container ends; --tail keeps the last lines', async () => {
    const id = await runDetached(
      suite.image,
      'sh',
      '-c',
      'for i in 1 2 3 4; do echo line $i; echo err $i >&2; sleep 0.5; done',
    );
    const followed = await suite.koker(['logs', '-f', id]);
    expect(followed.code).toBe(0);
    expect(followed.stdout).toBe('line 1\nline 2\nline 3\nline 4\n');
    expect(followed.stderr).toBe('err 1\nerr 2\nerr 3\nerr 4\n');
    // The last lines of the log, whichever stream they came from (as Docker's): the two streams
    // are read apart, so only a count can be checked across them.
    const tail = await suite.koker(['logs', '--tail', '3', id]);
    expect(tail.stdout.split('\n').length - 1 + tail.stderr.split('\n').length - 1).toBe(3);
    expect(tail.stdout.endsWith('line 4\n')).toBe(true);
    expect(tail.stderr.endsWith('err 4\n')).toBe(true);
    expect((await suite.koker(['logs', '-n', '0', id])).stdout).toBe('');
    const bad = await suite.koker(['logs', '--tail', 'many', id]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('invalid --tail "many"');
    await suite.must(['rm', id]);
  });

  it('removes a --rm container once it ends', async () => {
    const id = await runDetached('--rm', suite.image, 'true');
    await waitFor(() => !suite.containerDirs().includes(id), 'the --rm container to go');
    expect((await suite.koker(['container', 'inspect', id])).stderr).toContain(`no such container: ${id}`);
  });

  it('keeps stdin open with -i, and gives a terminal with -t (its output logged as stdout)', async () => {
    await runDetached('--name', 'interactive', '-i', suite.image, 'sh');
    await runDetached('--name', 'terminal', '-i', '-t', suite.image, 'sh');
    await waitFor(async () => (await suite.must(['logs', 'terminal'])).includes('# '), 'the shell prompt');
    // Both shells wait on their stdin instead of ending at once.
    for (const name of ['interactive', 'terminal']) expect((await inspect(name)).State.Running).toBe(true);
    const terminal = await inspect('terminal');
    expect(terminal).toMatchObject({ Config: { Tty: true, OpenStdin: true } });
    expect(await suite.must(['exec', 'terminal', 'sh', '-c', 'test -t 0 < /proc/1/fd/0 && echo tty'])).toBe(
      'tty\n',
    );
    const logs = await suite.koker(['logs', 'terminal']);
    expect(logs.stderr).toBe('');
    expect(logs.stdout).toContain('# ');
    await suite.must(['rm', '-f', 'interactive', 'terminal']);
  });

  it('a run whose setup fails (a taken port) starts no monitor: the container stays created', async () => {
    // The port taken already fails the setup after the record and the rootfs are made. As
    // Docker's, the container stays, never started, and no koker-monitor or koker-init is left.
    const first = await runDetached('-p', '127.0.0.1::80', suite.image, 'sleep', '1000');
    const port = (await suite.must(['port', first, '80'])).trim();
    const monitors = () =>
      readdirSync('/proc').filter((p) => {
        try {
          const cmdline = readFileSync(`/proc/${p}/cmdline`, 'utf8');
          return /^\d+$/.test(p) && /koker-(monitor|init)/.test(cmdline) && cmdline.includes(suite.root);
        } catch {
          return false;
        }
      });
    const listed = async () => (await suite.must(['ps', '-aq', '--no-trunc'])).trim().split('\n');
    const before = { monitors: monitors(), listed: await listed() };
    const clash = await suite.koker(['run', '-d', '-p', `${port}:80`, suite.image, 'sleep', '1000']);
    expect(clash.code, clash.stderr).toBe(125);
    expect(monitors()).toEqual(before.monitors);
    const failed = (await listed()).filter((id) => !before.listed.includes(id));
    expect(failed).toHaveLength(1);
    expect((await inspect(failed[0]!)).State.Running).toBe(false);
    await suite.must(['rm', '-f', first, failed[0]!]);
  });

  it('refuses a name in use, and finds containers by name, unique prefix or full ID', async () => {
    const id = await runDetached('--name', 'named', suite.image, 'sleep', '1000');
    const clash = await suite.koker(['run', '-d', '--name', 'named', suite.image, 'true']);
    expect(clash.code).toBe(125);
    expect(clash.stderr).toContain(`the container name "/named" is already in use by container "${id}"`);
    for (const ref of ['named', id, id.slice(0, 5)]) expect((await inspect(ref)).Id).toBe(id);
    const missing = await suite.koker(['stop', 'nosuchcontainer']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no such container: nosuchcontainer');
    await suite.must(['rm', '-f', 'named']);
  });
});

describe('stop, kill, start, rm', () => {
  it('stop sends SIGTERM and the container may end on its own terms', async () => {
    await runDetached(
      '--name',
      'polite',
      suite.image,
      'sh',
      '-c',
      'trap "echo bye; exit 7" TERM; echo up; while true; do sleep 0.1; done',
    );
    await waitFor(async () => (await suite.must(['logs', 'polite'])).includes('up'), 'the trap to be set');
    const started = Date.now();
    expect(await suite.must(['stop', 'polite'])).toBe('polite\n');
    expect(Date.now() - started).toBeLessThan(8_000);
    expect((await inspect('polite')).State).toMatchObject({ Status: 'exited', ExitCode: 7 });
    expect(await suite.must(['logs', 'polite'])).toBe('up\nbye\n');
    // Stopping a stopped container is not an error.
    expect(await suite.must(['stop', 'polite'])).toBe('polite\n');
  });

  it('stop -t kills a container that ignores SIGTERM once the timeout passes', async () => {
    await runDetached('--name', 'stubborn', suite.image, 'sleep', '1000');
    const started = Date.now();
    await suite.must(['stop', '-t', '1', 'stubborn']);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(1_000);
    expect((await inspect('stubborn')).State).toMatchObject({ Status: 'exited', ExitCode: 137 });
  });

  it('kill sends the signal asked for', async () => {
    await runDetached(
      '--name',
      'target',
      suite.image,
      'sh',
      '-c',
      'trap "echo got USR1" USR1; echo ready; while true; do sleep 0.1; done',
    );
    await waitFor(async () => (await suite.must(['logs', 'target'])).includes('ready'), 'the trap');
    await suite.must(['kill', '-s', 'USR1', 'target']);
    await waitFor(async () => (await suite.must(['logs', 'target'])).includes('got USR1'), 'the USR1 trap');
    expect((await inspect('target')).State.Running).toBe(true);
    await suite.must(['kill', 'target']);
    expect((await waitExited('target')).State.ExitCode).toBe(137);
    const notRunning = await suite.koker(['kill', 'target']);
    expect(notRunning.code).toBe(1);
    expect(notRunning.stderr).toContain('container target is not running');
  });

  it('start runs a stopped container again, with its log continued', async () => {
    await runDetached('--name', 'again', suite.image, 'sh', '-c', 'echo run; sleep 1000');
    await suite.must(['stop', '-t', '0', 'again']);
    expect(await suite.must(['start', 'again'])).toBe('again\n');
    const doc = await inspect('again');
    expect(doc.State).toMatchObject({ Status: 'running', Running: true, ExitCode: 0 });
    await waitFor(
      async () => (await suite.must(['logs', 'again'])) === 'run\nrun\n',
      'the second run in the log',
    );
    expect(await suite.must(['start', 'again'])).toBe('again\n');
    await suite.must(['stop', '-t', '0', 'again']);
  });

  it('rm refuses a running container without -f, and removes everything with it', async () => {
    const id = await runDetached('--name', 'busy', suite.image, 'sleep', '1000');
    const pid = (await inspect('busy')).State.Pid;
    const refused = await suite.koker(['rm', 'busy']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('cannot remove container "/busy": container is running');
    expect(await suite.must(['rm', '-f', 'busy'])).toBe('busy\n');
    expect(alive(pid)).toBe(false);
    expect(suite.containerDirs()).not.toContain(id);
    expect(suite.containerLeaks().filter((l) => l.includes(id.slice(0, 12)) || l.includes(id))).toEqual([]);
  });

  it('container prune removes the stopped containers and keeps the running ones', async () => {
    const running = await runDetached(suite.image, 'sleep', '1000');
    const output = await suite.must(['container', 'prune', '-f']);
    expect(output).toMatch(/^Deleted Containers:\n/);
    const left = (await suite.must(['ps', '-aq', '--no-trunc'])).trim().split('\n');
    expect(left).toEqual([running]);
    await suite.must(['rm', '-f', running]);
    expect(suite.containerDirs()).toEqual([]);
  });
});

describe('exec', () => {
  it('runs the command as given in the running container, with -e, -w, -u and the exit code', async () => {
    const id = await runDetached('--name', 'ex', '--entrypoint', 'sh', suite.image, '-c', 'sleep 1000');
    // The Entrypoint (sh) is not prepended: `echo` runs as given.
    expect(await suite.must(['exec', 'ex', 'echo', 'hi'])).toBe('hi\n');
    expect(await suite.must(['exec', 'ex', 'hostname'])).toBe(`${id.slice(0, 12)}\n`);
    expect(
      await suite.must([
        'exec',
        '-e',
        'GREETING=hello',
        '-w',
        '/etc',
        'ex',
        'sh',
        '-c',
        'echo $GREETING $(pwd) $(id -u)',
      ]),
    ).toBe('hello /etc 0\n');
    expect(await suite.must(['exec', '-u', 'nobody', 'ex', 'id', '-u'])).toBe('65534\n');
    expect((await suite.koker(['exec', 'ex', 'sh', '-c', 'exit 42'])).code).toBe(42);
    // It joined the container's PID namespace: the container's first process is PID 1.
    expect(await suite.must(['exec', 'ex', 'cat', '/proc/1/cmdline'])).toBe('sleep\u00001000\u0000');
    await suite.must(['stop', '-t', '0', 'ex']);
    const stopped = await suite.koker(['exec', 'ex', 'true']);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain('is not running');
    await suite.must(['rm', 'ex']);
  });
});

describe('a broken record', () => {
  it('is reported by the commands that meet it, never breaks ps, and goes with rm -f', async () => {
    const broken = await runDetached(suite.image, 'sleep', '1000');
    const good = await runDetached(suite.image, 'sleep', '1000');
    const pid = (await inspect(broken)).State.Pid;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(suite.root, 'containers', broken, 'config.json'), '{"schemaVersion": 1, "id": tru');
    const ps = await suite.koker(['ps', '-a']);
    expect(ps.code).toBe(0);
    expect(ps.stdout).toContain(good.slice(0, 12));
    expect(ps.stderr).toContain(`koker: container ${broken.slice(0, 12)}: config.json is corrupt`);
    const inspected = await suite.koker(['inspect', broken.slice(0, 12)]);
    expect(inspected.code).toBe(1);
    expect(inspected.stderr).toContain(`the record of container ${broken.slice(0, 12)} is broken`);
    expect((await suite.koker(['rm', broken])).code).toBe(1);
    await suite.must(['rm', '-f', broken]);
    expect(alive(pid)).toBe(false);
    expect(existsSync(join(suite.root, 'containers', broken))).toBe(false);
    await suite.must(['rm', '-f', good]);
  });
});
