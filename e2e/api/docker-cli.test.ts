import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../containers/helpers/container-suite.js';
import { dockerCliSuite } from '../helpers/docker-cli-suite.js';
import { apiRequest } from './api-service.js';

// `koker system service` driven by Debian's docker CLI (a client nobody here wrote), over the
// same store as koker's own commands.
const cli = dockerCliSuite();
const { docker, mustDocker } = cli;

describe('the service', () => {
  it('listens on a root-owned socket, mode 0660', () => {
    const stat = statSync(cli.service.socket);
    expect(stat.isSocket()).toBe(true);
    expect(stat.mode & 0o777).toBe(0o660);
    expect(stat.uid).toBe(0);
  });

  it('negotiates API 1.41 to 1.45, with and without the /v1.xx prefix', async () => {
    const ping = await apiRequest(cli.service.socket, 'GET', '/_ping');
    expect(ping.body).toBe('OK');
    expect(ping.headers['api-version']).toBe('1.45');
    expect(ping.headers['ostype']).toBe('linux');
    const head = await apiRequest(cli.service.socket, 'HEAD', '/v1.41/_ping');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    const version = JSON.parse(
      (await apiRequest(cli.service.socket, 'GET', '/v1.41/version')).body,
    ) as Record<string, string>;
    expect(version.ApiVersion).toBe('1.45');
    expect(version.MinAPIVersion).toBe('1.41');
    const old = await apiRequest(cli.service.socket, 'GET', '/v1.40/version');
    expect(old.status).toBe(400);
    expect(JSON.parse(old.body)).toEqual({ message: expect.stringContaining('too old') });
    const missing = await apiRequest(cli.service.socket, 'GET', '/v1.45/containers/nope/json');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toEqual({ message: 'No such container: nope' });
    expect((await docker('version', '--format', '{{.Server.APIVersion}}')).stdout.trim()).toBe('1.45');
    const info = JSON.parse(await mustDocker('info', '--format', '{{json .}}')) as Record<string, unknown>;
    expect(info.Images).toBeGreaterThanOrEqual(1);
  });
});

describe('the service, restarted', () => {
  it('leaves running containers running, and finds them again', async () => {
    await mustDocker(
      'run',
      '-d',
      '--name',
      'api-keep',
      '--network',
      'none',
      cli.suite.image,
      'sleep',
      '1000',
    );
    await cli.restartService(async () =>
      expect((await cli.suite.must(['inspect', '-f', '{{.State.Running}}', 'api-keep'])).trim()).toBe('true'),
    );
    expect((await mustDocker('ps', '--format', '{{.Names}}')).trim()).toBe('api-keep');
    await mustDocker('rm', '-f', 'api-keep');
  });
});

describe('docker run through koker', () => {
  it('runs --rm with its output and exit code, and leaves nothing', async () => {
    // Cleanup processes of this root's monitors (`koker ... container cleanup ID`), watched for
    // during the runs and a moment after; those of containers removed before are not these runs'.
    const removed = () =>
      [...cli.service.log().matchAll(/ Remove container container=(\w+)/g)].map((m) => m[1]);
    const removedBefore = new Set(removed());
    const cleanups = new Set<string>();
    const watch = setInterval(() => {
      for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        const argv = (() => {
          try {
            return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
          } catch {
            return '';
          }
        })();
        if (argv.includes(`\0${cli.suite.root}\0`) && argv.includes('\0container\0cleanup\0'))
          cleanups.add(argv.split('\0').at(-2) ?? pid);
      }
    }, 5);
    const hi = await docker('run', '--rm', '--network', 'none', cli.suite.image, 'echo', 'hi');
    expect(hi).toMatchObject({ code: 0, stdout: 'hi\n' });
    const failed = await docker(
      'run',
      '--rm',
      '--network',
      'none',
      cli.suite.image,
      'sh',
      '-c',
      'echo out; echo err >&2; exit 3',
    );
    expect(failed).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    // Bridged, as `docker run` without --network is.
    expect(
      await docker('run', '--rm', cli.suite.image, 'sh', '-c', 'ip -4 addr show eth0 | grep -c inet'),
    ).toMatchObject({
      code: 0,
      stdout: '1\n',
    });
    expect((await cli.suite.must(['ps', '-aq'])).trim()).toBe('');
    await new Promise((resolve) => setTimeout(resolve, 500));
    clearInterval(watch);
    // The service settled and removed each as it ended (its monitor waited for that): no
    // cleanup process of the monitor's (a Node start) was on the way of `docker run`.
    const why = cli.service
      .log()
      .split('\n')
      .filter((line) => /Clean up container|left to its monitor|Remove container container=/.test(line));
    const ours = [...cleanups].filter((id) => !removedBefore.has(id.slice(0, 12)));
    expect(ours, why.join('\n')).toEqual([]);
    expect(removed().filter((id) => !removedBefore.has(id))).toHaveLength(3);
  });

  it('refuses a HostConfig field koker does not support, by name', async () => {
    const refused = await docker('run', '--rm', '--oom-kill-disable', cli.suite.image, 'true');
    expect(refused.code).toBe(125);
    expect(refused.stderr).toContain('HostConfig.OomKillDisable');
  });

  it('runs -d, seen by koker ps; one koker runs is seen by docker ps; logs -f, exec, inspect, stop, kill, rm', async () => {
    const id = (
      await mustDocker(
        'run',
        '-d',
        '--name',
        'api-web',
        '--network',
        'none',
        cli.suite.image,
        'sh',
        '-c',
        'echo started; trap "exit 0" TERM; while true; do sleep 0.2; done',
      )
    ).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(await cli.suite.must(['ps', '--format', '{{.Names}}'])).toContain('api-web');
    await cli.suite.must([
      'run',
      '-d',
      '--name',
      'cli-web',
      '--network',
      'none',
      cli.suite.image,
      'sleep',
      '1000',
    ]);
    const names = await mustDocker('ps', '--format', '{{.Names}} {{.State}}');
    expect(names).toContain('api-web running');
    expect(names).toContain('cli-web running');

    await waitFor(async () => (await docker('logs', 'api-web')).stdout === 'started\n', 'the log line');
    const exec = await docker('exec', 'api-web', 'sh', '-c', 'echo in; echo oops >&2; exit 4');
    expect(exec).toMatchObject({ code: 4, stdout: 'in\n', stderr: 'oops\n' });
    expect(await cli.client.docker(['exec', '-i', 'api-web', 'cat'], 'piped\n')).toMatchObject({
      code: 0,
      stdout: 'piped\n',
    });
    const tty = await cli.client.run('script', [
      '-qec',
      "docker exec -it api-web sh -c 'tty; echo hi-tty'",
      '/dev/null',
    ]);
    expect(tty.code).toBe(0);
    expect(tty.stdout).toMatch(/\/dev\/pts\/\d+\r?\n/);
    expect(tty.stdout).toContain('hi-tty');

    const inspected = JSON.parse(await mustDocker('inspect', 'api-web')) as {
      Id: string;
      State: { Running: boolean };
    }[];
    expect(inspected[0]).toMatchObject({ Id: id, State: { Running: true } });

    // logs -f ends when the container does.
    const following = docker('logs', '-f', 'api-web');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await docker('stop', 'api-web')).code).toBe(0);
    expect(await following).toMatchObject({ code: 0, stdout: 'started\n' });
    expect(
      (await mustDocker('inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'api-web')).trim(),
    ).toBe('exited 0');

    expect((await docker('kill', 'cli-web')).code).toBe(0);
    await waitFor(
      async () =>
        (await cli.suite.must(['inspect', '-f', '{{.State.Status}}', 'cli-web'])).trim() === 'exited',
      'cli-web to end',
    );
    expect((await docker('rm', 'api-web', 'cli-web')).code).toBe(0);
    expect((await cli.suite.must(['ps', '-aq'])).trim()).toBe('');
    expect((await docker('rm', 'api-web')).stderr).toContain('No such container: api-web');
  });
});

describe('images through koker', () => {
  it('pulls from the loopback registry with progress, lists, inspects and removes', async () => {
    const image = cli.suite.registry.images.layered;
    const pulled = await docker('pull', image);
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toContain('Downloaded newer image for');
    const listed = await mustDocker('images', '--format', '{{.Repository}}:{{.Tag}}');
    expect(listed).toContain(image);
    expect(await cli.suite.must(['images', '--format', '{{.Repository}}:{{.Tag}}'])).toContain(image);
    const workdir = (await mustDocker('image', 'inspect', '-f', '{{.Config.WorkingDir}}', image)).trim();
    expect(workdir).toBe('/data');
    const removed = await docker('rmi', image);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain(`Untagged: ${image}`);
    expect(await cli.suite.must(['images', '--format', '{{.Repository}}:{{.Tag}}'])).not.toContain(image);
    expect((await docker('rmi', image)).stderr).toContain('No such image');
  });

  it('pulls a missing image for docker run', async () => {
    const image = cli.suite.registry.images.busyboxOci;
    expect(await docker('run', '--rm', '--network', 'none', image, 'echo', 'pulled')).toMatchObject({
      code: 0,
      stdout: 'pulled\n',
    });
    await mustDocker('rmi', image);
  });
});

describe('more of the docker CLI through koker', () => {
  it('runs -it on a terminal (through script) and -i from a pipe, with their codes', async () => {
    const tty = await cli.client.run(
      'script',
      ['-qec', `docker run -it --rm --network none ${cli.suite.image} sh -c 'tty; exit 5'`, '/dev/null'],
      null,
    );
    expect(tty.code).toBe(5);
    expect(tty.stdout).toMatch(/^\/dev\/pts\/\d+\r?\n/);
    const piped = await cli.client.docker(
      ['run', '-i', '--rm', '--network', 'none', cli.suite.image, 'sh'],
      'echo from-stdin\nexit 6\n',
    );
    expect(piped).toMatchObject({ code: 6, stdout: 'from-stdin\n' });
  });

  it('top, stats --no-stream, pause/unpause, rename, restart, cp both ways', async () => {
    await mustDocker('run', '-d', '--name', 'api-box', '--network', 'none', cli.suite.image, 'sleep', '1000');
    expect(await mustDocker('top', 'api-box')).toMatch(/sleep 1000/);
    const stats = await mustDocker('stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'api-box');
    expect(stats.trim()).toBe('api-box 1');
    await mustDocker('pause', 'api-box');
    expect(await cli.suite.must(['ps', '--format', '{{.Status}}'])).toContain('(Paused)');
    expect((await mustDocker('ps', '--format', '{{.State}}')).trim()).toBe('paused');
    await mustDocker('unpause', 'api-box');
    await mustDocker('rename', 'api-box', 'api-box2');
    expect((await cli.suite.must(['ps', '--format', '{{.Names}}'])).trim()).toBe('api-box2');
    const before = (await cli.suite.must(['inspect', '-f', '{{.State.Pid}}', 'api-box2'])).trim();
    await mustDocker('restart', '-t', '1', 'api-box2');
    const after = (
      await cli.suite.must(['inspect', '-f', '{{.State.Pid}} {{.State.Running}}', 'api-box2'])
    ).trim();
    expect(after).toMatch(/ true$/);
    expect(after.split(' ')[0]).not.toBe(before);

    const dir = mkdtempSync(join(tmpdir(), 'koker-e2e-api-cp-'));
    try {
      writeFileSync(join(dir, 'in.txt'), 'copied in\n');
      await mustDocker('cp', join(dir, 'in.txt'), 'api-box2:/tmp/');
      expect(await cli.suite.must(['exec', 'api-box2', 'cat', '/tmp/in.txt'])).toBe('copied in\n');
      await mustDocker('cp', 'api-box2:/etc/passwd', join(dir, 'passwd'));
      expect(readFileSync(join(dir, 'passwd'), 'utf8')).toContain('root:x:0:0');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await mustDocker('rm', '-f', 'api-box2');
  });

  it('saves and loads images', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'koker-e2e-api-save-'));
    try {
      const image = cli.suite.registry.images.layered;
      await mustDocker('pull', image);
      await mustDocker('save', '-o', join(dir, 'saved.tar'), image);
      await mustDocker('rmi', image);
      const loaded = await mustDocker('load', '-i', join(dir, 'saved.tar'));
      expect(loaded).toContain(`Loaded image: ${image}`);
      expect(await cli.suite.must(['images', '--format', '{{.Repository}}:{{.Tag}}'])).toContain(image);
      await mustDocker('rmi', image);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('networks, volumes, events, df and auth through koker', () => {
  it('creates, lists, inspects, connects and removes networks and volumes', async () => {
    await mustDocker('network', 'create', '--label', 'k=v', 'api-net');
    expect(await cli.suite.must(['network', 'ls'])).toContain('api-net');
    expect((await mustDocker('network', 'ls', '--filter', 'label=k=v', '--format', '{{.Name}}')).trim()).toBe(
      'api-net',
    );
    await mustDocker('volume', 'create', 'api-vol');
    expect((await cli.suite.must(['volume', 'ls', '-q'])).trim()).toBe('api-vol');
    expect((await mustDocker('volume', 'inspect', '-f', '{{.Driver}}', 'api-vol')).trim()).toBe('local');
    await mustDocker(
      'run',
      '-d',
      '--name',
      'api-joined',
      '--network',
      'none',
      '-v',
      'api-vol:/data',
      cli.suite.image,
      'sleep',
      '1000',
    );
    await mustDocker(
      'run',
      '-d',
      '--name',
      'api-other',
      '--network',
      'api-net',
      cli.suite.image,
      'sleep',
      '1000',
    );
    expect(
      (
        await mustDocker('network', 'inspect', '-f', '{{range .Containers}}{{.Name}}{{end}}', 'api-net')
      ).trim(),
    ).toBe('api-other');
    // A volume in use is refused.
    expect((await docker('volume', 'rm', 'api-vol')).code).not.toBe(0);
    await mustDocker('rm', '-f', 'api-joined', 'api-other');
    await mustDocker('network', 'rm', 'api-net');
    await mustDocker('volume', 'rm', 'api-vol');
    await mustDocker('volume', 'create', 'api-vol2');
    expect(await mustDocker('volume', 'prune', '-a', '-f')).toContain('api-vol2');
    await mustDocker('network', 'create', 'api-net2');
    expect(await mustDocker('network', 'prune', '-f')).toContain('api-net2');
    expect((await docker('network', 'inspect', 'api-net2')).code).not.toBe(0);
  });

  it('streams events, reports df, and checks credentials with the registry', async () => {
    const since = String(Math.floor(Date.now() / 1000) - 1);
    await mustDocker('run', '--rm', '--name', 'api-events', '--network', 'none', cli.suite.image, 'true');
    const until = String(Math.floor(Date.now() / 1000) + 1);
    const events = await mustDocker(
      'events',
      '--since',
      since,
      '--until',
      until,
      '--filter',
      'container=api-events',
      '--format',
      '{{.Action}}',
    );
    expect(events.trim().split('\n')).toEqual(['create', 'start', 'die', 'destroy']);
    expect(await mustDocker('system', 'df')).toMatch(/^Images +\d+/m);
    const login = await docker('login', '-u', 'nobody', '-p', 'wrong', '127.0.0.1:1');
    expect(login.code).not.toBe(0);
    expect(login.stderr).toContain('login to 127.0.0.1:1 failed');
  });
});
