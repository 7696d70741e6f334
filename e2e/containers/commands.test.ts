import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventsSince,
  firstLine,
  startContainerSuite,
  waitFor,
  type ContainerSuite,
} from './helpers/container-suite.js';

// The everyday container and image commands through the real CLI.
let suite: ContainerSuite;

beforeAll(async () => {
  suite = await startContainerSuite();
});

afterAll(async () => {
  await suite?.stop();
  expect(suite?.leaks() ?? []).toEqual([]);
});

const inspect = async (name: string, template: string) =>
  (await suite.must(['inspect', '-f', template, name])).trim();

/** utime + stime of a host process, in clock ticks. */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]);
}

/** A control file of the cgroup a process is in, for a controller (v1) or in cgroup2. */
function cgroupFile(pid: number, controller: string, file: string): string {
  for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').filter(Boolean)) {
    const [, controllers = '', path = ''] = line.split(':');
    const candidates =
      controllers === ''
        ? [`/sys/fs/cgroup/unified${path}/${file}`, `/sys/fs/cgroup${path}/${file}`]
        : controllers.split(',').includes(controller)
          ? [`/sys/fs/cgroup/${controllers}${path}/${file}`]
          : [];
    for (const candidate of candidates)
      if (existsSync(candidate)) return readFileSync(candidate, 'utf8').trim();
  }
  return `no ${file} for process ${pid}`;
}

describe('wait', () => {
  it('prints the exit code of each container once it stops', async () => {
    await suite.must(['run', '-d', '--name', 'w-one', suite.image, 'sh', '-c', 'sleep 1; exit 7']);
    await suite.must(['run', '-d', '--name', 'w-two', suite.image, 'true']);
    const waited = await suite.koker(['wait', 'w-one', 'w-two']);
    expect(waited.code).toBe(0);
    expect(waited.stdout).toBe('7\n0\n');
    const missing = await suite.koker(['wait', 'w-none']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('no such container: w-none');
    await suite.must(['rm', 'w-one', 'w-two']);
  });
});

describe('pause and unpause', () => {
  it('freeze a busy loop: its CPU time stops, then goes on', async () => {
    await suite.must(['run', '-d', '--name', 'busy', suite.image, 'sh', '-c', 'while :; do :; done']);
    const pid = Number(await inspect('busy', '{{.State.Pid}}'));
    await suite.must(['pause', 'busy']);
    expect(
      await suite.must(['ps', '--format', '{{.Names}} {{.State}} {{.Status}}', '-f', 'name=busy']),
    ).toMatch(/^busy paused Up .* \(Paused\)\n$/);
    expect(await inspect('busy', '{{.State.Status}} {{.State.Paused}}')).toBe('paused true');
    const frozen = cpuTicks(pid);
    await new Promise((r) => setTimeout(r, 700));
    expect(cpuTicks(pid)).toBe(frozen);
    const again = await suite.koker(['pause', 'busy']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('is already paused');

    await suite.must(['unpause', 'busy']);
    await waitFor(() => cpuTicks(pid) > frozen + 10, 'the loop to use CPU again');
    expect((await suite.koker(['unpause', 'busy'])).stderr).toContain('is not paused');
    // A paused container is thawed so that rm -f can end it.
    await suite.must(['pause', 'busy']);
    await suite.must(['rm', '-f', 'busy']);
  });

  it('refuses a container that is not running', async () => {
    await suite.must(['run', '--name', 'ended', suite.image, 'true']);
    const refused = await suite.koker(['pause', 'ended']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('is not running');
    await suite.must(['rm', 'ended']);
  });
});

describe('update', () => {
  it('changes the limits of a running container in its cgroup files and its record', async () => {
    await suite.must([
      'run',
      '-d',
      '--name',
      'upd',
      '-m',
      '64m',
      '--pids-limit',
      '50',
      suite.image,
      'sleep',
      '1000',
    ]);
    const pid = Number(await inspect('upd', '{{.State.Pid}}'));
    await suite.must([
      'update',
      '--memory',
      '96m',
      '--memory-swap',
      '192m',
      '--pids-limit',
      '70',
      '--cpus',
      '0.5',
      'upd',
    ]);
    expect([
      cgroupFile(pid, 'memory', 'memory.limit_in_bytes'),
      cgroupFile(pid, 'memory', 'memory.max'),
    ]).toContain(String(96 * 1024 * 1024));
    expect(cgroupFile(pid, 'pids', 'pids.max')).toBe('70');
    expect(
      await inspect('upd', '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{.HostConfig.NanoCpus}}'),
    ).toBe(`${96 * 1024 * 1024} 70 500000000`);
    const bad = await suite.koker(['update', '--pids-limit', 'many', 'upd']);
    expect(bad.code).not.toBe(0);
    expect((await suite.koker(['update', 'upd'])).stderr).toContain('one or more flags');
    expect(await suite.must(['update', '--memory-reservation', '32m', 'upd'])).toBe('upd\n');
    expect([
      cgroupFile(pid, 'memory', 'memory.soft_limit_in_bytes'),
      cgroupFile(pid, 'memory', 'memory.low'),
    ]).toContain(String(32 * 1024 * 1024));
    expect(await inspect('upd', '{{.HostConfig.MemoryReservation}}')).toBe(String(32 * 1024 * 1024));
    await suite.must(['rm', '-f', 'upd']);
  });

  it('--restart gives a container the policy its monitor applies at its next end; not to a --rm one', async () => {
    await suite.must(['run', '-d', '--name', 'upd-r', suite.image, 'sh', '-c', 'sleep 2; exit 3']);
    expect(await suite.must(['update', '--restart', 'on-failure:2', 'upd-r'])).toBe('upd-r\n');
    const policy = '{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}';
    expect(await inspect('upd-r', policy)).toBe('on-failure:2');
    await waitFor(
      async () => (await inspect('upd-r', '{{.RestartCount}} {{.State.Status}}')) === '2 exited',
      'two restarts, then the end',
      60_000,
    );
    expect(await inspect('upd-r', '{{.State.ExitCode}}')).toBe('3');
    expect(await suite.must(['update', '--restart', 'no', 'upd-r'])).toBe('upd-r\n');
    expect(await inspect('upd-r', policy)).toBe('no:0');
    await suite.must(['rm', 'upd-r']);

    await suite.must(['run', '-d', '--rm', '--name', 'upd-rm', suite.image, 'sleep', '1000']);
    const refused = await suite.koker(['update', '--restart', 'always', 'upd-rm']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('AutoRemove is enabled');
    expect((await suite.koker(['update', '--restart', 'sometimes', 'upd-rm'])).code).not.toBe(0);
    await suite.must(['rm', '-f', 'upd-rm']);
  });
});

describe('exec', () => {
  it("--env-file then -e (KEY alone from koker's environment), with -u and -w", async () => {
    const { writeFileSync } = await import('node:fs');
    const envFile = `${suite.root}/exec.env`;
    writeFileSync(envFile, '# a comment\nFROM_FILE=file\nBOTH=file\n');
    await suite.must(['run', '-d', '--name', 'ex', suite.image, 'sleep', '1000']);
    const out = await suite.must(
      [
        'exec',
        '--env-file',
        envFile,
        '-e',
        'BOTH=flag',
        '-e',
        'PASSED',
        '-u',
        '65534:65534',
        '-w',
        '/tmp',
        'ex',
        'sh',
        '-c',
        'echo $FROM_FILE $BOTH $PASSED $(id -u):$(id -g) $(pwd)',
      ],
      { env: { PASSED: 'through' } },
    );
    expect(out).toBe('file flag through 65534:65534 /tmp\n');
    const missing = await suite.koker(['exec', '--env-file', `${suite.root}/none.env`, 'ex', 'true']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('none.env');
    await suite.must(['rm', '-f', 'ex']);
  });
});

describe('rename, restart, top', () => {
  it("stop -s and restart -s send that signal; restart without -t waits the container's --stop-timeout", async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const loop = 'trap "exit 7" USR1; trap "" TERM; while :; do sleep 0.1; done';
    await suite.must(['run', '-d', '--name', 'sig', suite.image, 'sh', '-c', loop]);
    expect(await suite.must(['stop', '-s', 'USR1', 'sig'])).toBe('sig\n');
    expect(await inspect('sig', '{{.State.Status}} {{.State.ExitCode}}')).toBe('exited 7');
    await suite.must(['start', 'sig']);
    expect(await suite.must(['restart', '-s', 'SIGUSR1', 'sig'])).toBe('sig\n');
    expect(await inspect('sig', '{{.State.Status}}')).toBe('running');
    const dies = await eventsSince(suite, since, '{{.Actor.Attributes.exitCode}}', [
      'container=sig',
      'event=die',
    ]);
    expect(dies).toEqual(['7', '7']);
    expect((await suite.koker(['stop', '-s', 'NOSUCH', 'sig'])).code).not.toBe(0);
    await suite.must(['rm', '-f', 'sig']);

    // TERM is ignored: only SIGKILL ends it, after 1 s (its --stop-timeout), not restart's old 10 s.
    await suite.must(['run', '-d', '--name', 'slow', '--stop-timeout', '1', suite.image, 'sh', '-c', loop]);
    const started = Date.now();
    await suite.must(['restart', 'slow']);
    expect(Date.now() - started).toBeLessThan(8000);
    expect(await inspect('slow', '{{.State.Status}}')).toBe('running');
    await suite.must(['rm', '-f', 'slow']);
  });

  it('renames, restarts with a new process, and lists the processes of the container', async () => {
    const id = firstLine(await suite.must(['run', '-d', '--name', 'before', suite.image, 'sleep', '1000']));
    await suite.must(['rename', 'before', 'after']);
    expect(await inspect(id, '{{.Name}}')).toBe('/after');
    expect((await suite.koker(['rename', 'after', 'after'])).code).not.toBe(0);
    const taken = firstLine(await suite.must(['run', '-d', '--name', 'taken', suite.image, 'sleep', '1000']));
    const clash = await suite.koker(['rename', 'after', 'taken']);
    expect(clash.code).not.toBe(0);
    expect(clash.stderr).toContain('already in use');

    const top = await suite.must(['top', 'after']);
    const [header, ...rows] = top.trimEnd().split('\n');
    expect(header).toMatch(/^UID +PID +PPID +C +STIME +TTY +TIME +CMD$/);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/ sleep 1000$/);
    expect(await suite.must(['top', 'after', '-o', 'pid,args'])).toMatch(
      /^ *PID +COMMAND *\n *\d+ +sleep 1000\n$/,
    );

    const pid = await inspect('after', '{{.State.Pid}}');
    await suite.must(['restart', '-t', '1', 'after']);
    expect(await inspect('after', '{{.State.Status}}')).toBe('running');
    expect(await inspect('after', '{{.State.Pid}}')).not.toBe(pid);
    await suite.must(['rm', '-f', id, taken]);
  });
});

describe('events', () => {
  it('reads the journal with --since/--until, --filter and --format', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const id = firstLine(await suite.must(['run', '-d', '--name', 'ev', suite.image, 'sh', '-c', 'exit 2']));
    await suite.must(['wait', 'ev']);
    await waitFor(
      async () =>
        (await suite.must(['events', '--since', String(since), '--until', '0s', '-f', 'event=die'])).includes(
          id,
        ),
      'the die event',
    );
    await suite.must(['rm', 'ev']);
    const until = String(Date.now() / 1000 + 0.5);
    const lines = (
      await suite.must([
        'events',
        '--since',
        String(since),
        '--until',
        until,
        '--filter',
        'container=ev',
        '--format',
        '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}',
      ])
    )
      .trim()
      .split('\n');
    expect(lines).toEqual([
      'create ev <no value>',
      'start ev <no value>',
      'die ev 2',
      'destroy ev <no value>',
    ]);
    const plain = await suite.must([
      'events',
      '--since',
      String(since),
      '--until',
      until,
      '-f',
      'type=container',
      '-f',
      'event=die',
      '-f',
      'container=ev',
    ]);
    expect(plain).toMatch(
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z container die ${id} \\(exitCode=2, image=[^,]+, name=ev\\)\\n`,
      ),
    );
    const json = JSON.parse(
      (
        await suite.must([
          'events',
          '--since',
          String(since),
          '--until',
          until,
          '-f',
          'event=destroy',
          '-f',
          'container=ev',
          '--format',
          'json',
        ])
      )
        .trim()
        .split('\n')[0] ?? '{}',
    ) as Record<string, unknown>;
    expect(json).toMatchObject({
      Type: 'container',
      Action: 'destroy',
      status: 'destroy',
      id,
      scope: 'local',
    });
  });
});

describe('images: tag, history', () => {
  it('tags an image and shows its history', async () => {
    await suite.must(['tag', suite.image, 'localhost/mine:v1']);
    expect(
      await suite.must(['images', '--format', '{{.Repository}}:{{.Tag}}', '-f', 'reference=localhost/*']),
    ).toBe('localhost/mine:v1\n');
    expect(await inspect('localhost/mine:v1', '{{.Id}}')).toBe(await inspect(suite.image, '{{.Id}}'));
    expect((await suite.koker(['tag', 'no-such-image', 'x:1'])).stderr).toContain(
      'no such image: no-such-image',
    );
    const history = await suite.must(['history', 'localhost/mine:v1']);
    expect(history.split('\n')[0]).toMatch(/^IMAGE +CREATED +CREATED BY +SIZE +COMMENT$/);
    expect(history.split('\n')[1]).toMatch(/^[0-9a-f]{12} /);
    expect(await suite.must(['image', 'history', '-q', 'localhost/mine:v1'])).toMatch(/^[0-9a-f]{12}\n/);
    await suite.must(['rmi', 'localhost/mine:v1']);
  });
});

describe('system df', () => {
  it('shows images, containers, volumes and build cache as Docker does', async () => {
    const id = firstLine(await suite.must(['run', '-d', '--name', 'df', suite.image, 'sleep', '1000']));
    const table = (await suite.must(['system', 'df'])).trimEnd().split('\n');
    expect(table[0]).toMatch(/^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE$/);
    expect(table[1]).toMatch(/^Images +1 +1 +[\d.]+[kM]B +0B \(0%\)$/);
    expect(table[2]).toMatch(/^Containers +1 +1 +[\d.]+k?B +0B \(0%\)$/);
    expect(table.slice(3)).toEqual([
      expect.stringMatching(/^Local Volumes +0 +0 +0B +0B$/),
      expect.stringMatching(/^Build Cache +0 +0 +0B +0B$/),
    ]);
    expect(await suite.must(['system', 'df', '--format', '{{.Type}}={{.TotalCount}}'])).toBe(
      'Images=1\nContainers=1\nLocal Volumes=0\nBuild Cache=0\n',
    );
    await suite.must(['rm', '-f', id]);
  });
});

describe('version and completion', () => {
  it('prints the client and engine versions and completion scripts', async () => {
    expect(await suite.must(['version', '--format', '{{.Client.ApiVersion}} {{.Server.Os}}'])).toBe(
      '1.45 linux\n',
    );
    expect(await suite.must(['version'])).toMatch(
      /^Client:\n Version: +\d+\.\d+\.\d+\n API version: +1\.45\n/,
    );
    const bash = await suite.must(['completion', 'bash']);
    expect(bash).toContain('complete -F _koker koker');
    expect(bash).toContain('"container") words="');
    expect(await suite.must(['completion', 'fish'])).toContain(
      "-a pause -d 'Pause all processes within one or more containers'",
    );
    expect(await suite.must(['completion', 'zsh'])).toContain('compdef _koker koker');
    expect((await suite.koker(['completion', 'tcsh'])).code).not.toBe(0);
  });
});
