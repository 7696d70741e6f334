import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../containers/helpers/container-suite.js';
import { fixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-registry.js';
import { dockerCliSuite } from '../helpers/docker-cli-suite.js';

// Debian's docker CLI through `koker system service`: containers created and started apart,
// their files, limits and prune; images built, committed, tagged, pushed, pruned.
const cli = dockerCliSuite();
const { docker, mustDocker } = cli;
const run = promisify(execFile);

describe('docker create, then start', () => {
  it('is a Created container of koker ps -a, kept across a service restart, started by docker start', async () => {
    const id = (
      await mustDocker(
        'create',
        '--name',
        'api-made',
        '--network',
        'none',
        cli.suite.image,
        'sh',
        '-c',
        'echo ran; sleep 1000',
      )
    ).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect((await cli.suite.must(['ps', '-a', '--format', '{{.Names}} {{.State}}'])).trim()).toBe(
      'api-made created',
    );
    await cli.restartService();
    expect((await mustDocker('ps', '-a', '--format', '{{.ID}} {{.State}}')).trim()).toBe(
      `${id.slice(0, 12)} created`,
    );
    await mustDocker('start', 'api-made');
    expect((await cli.suite.must(['inspect', '-f', '{{.State.Status}}', 'api-made'])).trim()).toBe('running');
    await waitFor(async () => (await docker('logs', 'api-made')).stdout === 'ran\n', 'its output');
    await mustDocker('rm', '-f', 'api-made');
  });

  it('keeps a -t container its own terminal when started, and under a restart policy', async () => {
    await mustDocker(
      'create',
      '-t',
      '--name',
      'api-tty',
      '--network',
      'none',
      cli.suite.image,
      'sh',
      '-c',
      'tty; stty size',
    );
    await mustDocker('start', 'api-tty');
    await waitFor(
      async () =>
        (await cli.suite.must(['inspect', '-f', '{{.State.Status}}', 'api-tty'])).trim() === 'exited',
      'the tty container to end',
    );
    // As `koker run -t` gives it: the container's own pty, a terminal size, CR-LF line ends.
    const ran = await cli.suite.must([
      'run',
      '--rm',
      '-t',
      '--network',
      'none',
      cli.suite.image,
      'sh',
      '-c',
      'tty; stty size',
    ]);
    expect(ran).toMatch(/^\/dev\/pts\/\d+\r\n\d+ \d+\r\n$/);
    expect(await mustDocker('logs', 'api-tty')).toBe(ran);

    await mustDocker(
      'run',
      '-d',
      '-t',
      '--restart',
      'on-failure:2',
      '--name',
      'api-tty-restart',
      '--network',
      'none',
      cli.suite.image,
      'sh',
      '-c',
      'tty; exit 3',
    );
    await waitFor(
      async () =>
        (
          await cli.suite.must(['inspect', '-f', '{{.RestartCount}} {{.State.Status}}', 'api-tty-restart'])
        ).trim() === '2 exited',
      'two restarts',
      30_000,
    );
    const lines = (await mustDocker('logs', 'api-tty-restart')).split('\r\n').filter(Boolean);
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).toMatch(/^\/dev\/pts\/\d+$/);
    await mustDocker('rm', 'api-tty', 'api-tty-restart');
  });
});

describe("a container's files and limits through koker", () => {
  it('diff, export, update --memory', async () => {
    await mustDocker(
      'run',
      '-d',
      '--name',
      'api-files',
      '--network',
      'none',
      cli.suite.image,
      'sh',
      '-c',
      'echo made > /made.txt; rm /bin/vi; sleep 1000',
    );
    await waitFor(
      async () => (await docker('diff', 'api-files')).stdout.includes('A /made.txt'),
      'the change',
    );
    const diff = (await mustDocker('diff', 'api-files')).split('\n');
    expect(diff).toContain('A /made.txt');
    expect(diff).toContain('D /bin/vi');
    expect(diff).toContain('C /bin');

    const dir = mkdtempSync(join(tmpdir(), 'koker-e2e-api-export-'));
    try {
      await mustDocker('export', '-o', join(dir, 'root.tar'), 'api-files');
      const { stdout } = await run('tar', ['-tf', join(dir, 'root.tar')], { maxBuffer: 16 * 1024 * 1024 });
      const names = stdout.split('\n');
      expect(names).toContain('made.txt');
      expect(names).toContain('bin/sh');
      expect(names).not.toContain('bin/vi');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    await mustDocker('update', '--memory', '64m', '--memory-swap', '128m', 'api-files');
    expect((await mustDocker('inspect', '-f', '{{.HostConfig.Memory}}', 'api-files')).trim()).toBe(
      '67108864',
    );
    const limit = await cli.suite.must([
      'exec',
      'api-files',
      'sh',
      '-c',
      'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes',
    ]);
    expect(limit.trim()).toBe('67108864');
    expect((await docker('update', '--memory', '64m', 'api-nothing')).stderr).toContain('api-nothing');
    await mustDocker('rm', '-f', 'api-files');
  });

  it('container prune -f removes stopped and created containers, with label and until filters', async () => {
    await mustDocker(
      'run',
      '--name',
      'api-old',
      '--label',
      'keep=yes',
      '--network',
      'none',
      cli.suite.image,
      'true',
    );
    await mustDocker('run', '--name', 'api-done', '--network', 'none', cli.suite.image, 'true');
    await mustDocker('create', '--name', 'api-never', '--network', 'none', cli.suite.image, 'true');
    await mustDocker('run', '-d', '--name', 'api-up', '--network', 'none', cli.suite.image, 'sleep', '1000');
    // Made an hour ago or earlier: none of them.
    const early = await mustDocker('container', 'prune', '-f', '--filter', 'until=1h');
    expect(early).not.toContain('api');
    expect(
      (await cli.suite.must(['ps', '-a', '--format', '{{.Names}}'])).split('\n').filter(Boolean),
    ).toHaveLength(4);
    const pruned = await mustDocker('container', 'prune', '-f', '--filter', 'label!=keep');
    expect(pruned).toContain('Deleted Containers:');
    const left = (await cli.suite.must(['ps', '-a', '--format', '{{.Names}}']))
      .split('\n')
      .filter(Boolean)
      .sort();
    expect(left).toEqual(['api-old', 'api-up']);
    await mustDocker('container', 'prune', '-f', '--filter', 'label=keep=yes');
    expect((await cli.suite.must(['ps', '-a', '--format', '{{.Names}}'])).trim()).toBe('api-up');
    await mustDocker('rm', '-f', 'api-up');
  });
});

describe('images made and sent through koker', () => {
  let target: FixtureRegistry;
  beforeAll(async () => {
    target = await fixtureRegistry({ writable: true, auth: 'basic' });
  });
  afterAll(() => target?.stop());

  it('history, tag, commit, image prune -f', async () => {
    const history = (
      await mustDocker('history', '--no-trunc', '--format', '{{.ID}} {{.CreatedBy}}', cli.suite.image)
    )
      .split('\n')
      .filter(Boolean);
    const kokerHistory = (
      await cli.suite.must(['history', '--no-trunc', '--format', '{{.ID}} {{.CreatedBy}}', cli.suite.image])
    )
      .split('\n')
      .filter(Boolean);
    expect(history).toEqual(kokerHistory);
    expect(history[0]).toMatch(/^sha256:[0-9a-f]{64} /);

    await mustDocker('tag', cli.suite.image, 'api-tagged:v1');
    expect(await cli.suite.must(['images', '--format', '{{.Repository}}:{{.Tag}}'])).toContain(
      'api-tagged:v1',
    );

    await mustDocker(
      'run',
      '--name',
      'api-commit',
      '--network',
      'none',
      cli.suite.image,
      'sh',
      '-c',
      'echo committed > /c.txt',
    );
    const committed = (
      await mustDocker('commit', '-m', 'a file', '-c', 'ENV MADE=yes', 'api-commit', 'api-committed:1')
    ).trim();
    expect(committed).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(
      await cli.suite.must([
        'run',
        '--rm',
        '--network',
        'none',
        'api-committed:1',
        'sh',
        '-c',
        'cat /c.txt; echo $MADE',
      ]),
    ).toBe('committed\nyes\n');
    expect((await mustDocker('history', '--format', '{{.Comment}}', 'api-committed:1')).split('\n')[0]).toBe(
      'a file',
    );
    expect(await mustDocker('inspect', '--format', '{{.Comment}}', 'api-committed:1')).toBe('a file\n');

    // Untagged by a second commit under the same name: dangling, pruned; the tagged ones stay.
    await mustDocker('commit', 'api-commit', 'api-committed:1');
    await mustDocker('rm', 'api-commit');
    const pruned = await mustDocker('image', 'prune', '-f');
    expect(pruned).toContain(`deleted: ${committed}`);
    const images = await cli.suite.must(['images', '--format', '{{.Repository}}:{{.Tag}}']);
    expect(images).toContain('api-committed:1');
    expect(images).toContain('api-tagged:v1');
    // With a label filter nothing matches: all images kept, even with -a.
    await mustDocker('image', 'prune', '-a', '-f', '--filter', 'label=nothing');
    expect(await cli.suite.must(['images', '--format', '{{.Repository}}:{{.Tag}}'])).toContain(
      'api-tagged:v1',
    );
    await mustDocker('rmi', 'api-committed:1', 'api-tagged:v1');
  });

  it('push with the login the client sends (X-Registry-Auth), read back by skopeo', async () => {
    const credentials = target.credentials as { username: string; password: string };
    const name = `${target.host}/api/pushed:1`;
    await mustDocker('tag', cli.suite.image, name);
    // Refused without the login: the service has none of its own.
    const anonymous = await docker('push', name);
    expect(anonymous.code).not.toBe(0);
    await mustDocker('login', '-u', credentials.username, '-p', credentials.password, target.host);
    const pushed = await mustDocker('push', name);
    expect(pushed).toContain(`The push refers to repository [${target.host}/api/pushed]`);
    expect(pushed).toMatch(/Pushed/);
    const digest = /1: digest: (sha256:[0-9a-f]{64}) size: \d+/.exec(pushed)?.[1];
    expect(digest).toBeDefined();
    const { stdout } = await run('skopeo', [
      '--insecure-policy',
      'inspect',
      '--tls-verify=false',
      '--creds',
      `${credentials.username}:${credentials.password}`,
      `docker://${name}`,
    ]);
    expect((JSON.parse(stdout) as { Digest: string }).Digest).toBe(digest);

    // A name alone is its latest tag to the CLI (none here); -a sends no tag: every local tag goes.
    const repository = `${target.host}/api/pushed`;
    await mustDocker('tag', cli.suite.image, `${repository}:2`);
    const untagged = await docker('push', repository);
    expect(untagged.code).not.toBe(0);
    expect(untagged.stdout).toContain('Using default tag: latest');
    expect(untagged.stderr).toContain(`An image does not exist locally with the tag: ${repository}`);
    const all = await mustDocker('push', '-a', repository);
    expect(all).toMatch(/^1: digest: sha256:[0-9a-f]{64} size: \d+$/m);
    expect(all).toMatch(/^2: digest: sha256:[0-9a-f]{64} size: \d+$/m);
    const listed = await run('skopeo', [
      'list-tags',
      '--tls-verify=false',
      '--creds',
      `${credentials.username}:${credentials.password}`,
      `docker://${repository}`,
    ]);
    expect((JSON.parse(listed.stdout) as { Tags: string[] }).Tags.sort()).toEqual(['1', '2']);
    await mustDocker('rmi', name, `${repository}:2`);
  });

  it('builds with the classic builder, as docker build chooses it: steps, build args, labels, target, -q', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'koker-e2e-api-build-'));
    try {
      writeFileSync(join(dir, 'hello.txt'), 'hello from the context\n');
      writeFileSync(
        join(dir, 'Dockerfile'),
        [
          `FROM ${cli.suite.image} AS base`,
          'ARG GREETING=none',
          'COPY hello.txt /hello.txt',
          'RUN echo "greeting $GREETING" > /greeting.txt && echo built-step',
          'FROM base AS other',
          'RUN touch /other',
          '',
        ].join('\n'),
      );
      // Without buildx (Debian's docker.io has none) the CLI takes the classic builder, and warns.
      const build = (...args: string[]) => cli.client.docker(['build', ...args]);
      const built = await build(
        '-t',
        'api-built:1',
        '--build-arg',
        'GREETING=hi',
        '--label',
        'made=api',
        '--target',
        'base',
        dir,
      );
      expect(built.code, built.stderr).toBe(0);
      expect(built.stderr).toContain('DEPRECATED: The legacy builder is deprecated');
      expect(built.stderr).toContain('Install the buildx component to build images with BuildKit');
      expect(built.stdout).toContain('Step 1/4 : FROM');
      expect(built.stdout).toContain('built-step');
      expect(built.stdout).toMatch(/Successfully built [0-9a-f]{12}/);
      expect(built.stdout).toContain('Successfully tagged api-built:1');
      expect(
        await cli.suite.must([
          'run',
          '--rm',
          '--network',
          'none',
          'api-built:1',
          'sh',
          '-c',
          'cat /hello.txt /greeting.txt; ls /other 2>&1 || true',
        ]),
      ).toMatch(/^hello from the context\ngreeting hi\nls: .*\/other.*No such file/);
      expect((await mustDocker('inspect', '-f', '{{.Config.Labels.made}}', 'api-built:1')).trim()).toBe(
        'api',
      );
      // -f names a file of the context: the service reads it from the archive.
      writeFileSync(join(dir, 'quiet.Dockerfile'), `FROM ${cli.suite.image}\nRUN echo quiet > /q.txt\n`);
      // DOCKER_BUILDKIT=0 asks for the classic builder: the same, with another warning.
      const quiet = await cli.client.run('env', [
        'DOCKER_BUILDKIT=0',
        'docker',
        'build',
        '-q',
        '-f',
        join(dir, 'quiet.Dockerfile'),
        dir,
      ]);
      expect(quiet.code, quiet.stderr).toBe(0);
      expect(quiet.stderr).toContain('BuildKit is currently disabled');
      expect(quiet.stdout.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
      writeFileSync(join(dir, 'Dockerfile'), `FROM ${cli.suite.image}\nRUN exit 7\n`);
      const failed = await build('--no-cache', dir);
      expect(failed.code).not.toBe(0);
      expect(failed.stderr).toContain('7');
      // DOCKER_BUILDKIT=1 wants buildx, which the CLI refuses to go without.
      const buildkit = await cli.client.run('env', ['DOCKER_BUILDKIT=1', 'docker', 'build', dir]);
      expect(buildkit.code).not.toBe(0);
      expect(buildkit.stderr).toContain('BuildKit is enabled but the buildx component is missing or broken');
      await mustDocker('rmi', 'api-built:1');
      await mustDocker('rmi', quiet.stdout.trim());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
