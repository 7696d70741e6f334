import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { GenericContainer, Wait } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startContainerSuite, waitFor, type ContainerSuite } from '../containers/helpers/container-suite.js';
import { serveFiles } from '../helpers/file-server.js';
import { startGitDaemon } from '../helpers/git-daemon.js';
import { dockerClient, startApiService, type ApiService } from './api-service.js';

// dockerode and testcontainers (npm), in TypeScript, on koker's API service.
let suite: ContainerSuite;
let service: ApiService;
let docker: Docker;
const saved = { ...process.env };

beforeAll(async () => {
  suite = await startContainerSuite();
  service = await startApiService(suite.root, { KOKER_CONFIG: `${suite.root}/config.json` });
  docker = new Docker({ socketPath: service.socket });
  // testcontainers reads these: koker's socket, and no Ryuk (the test removes what it made).
  process.env.DOCKER_HOST = service.host;
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  process.env.TESTCONTAINERS_HOST_OVERRIDE = '127.0.0.1';
});
afterAll(async () => {
  process.env = saved;
  if (service) expect(await service.stop()).toBe(0);
  await suite?.stop();
  expect(suite?.leaks() ?? []).toEqual([]);
});

describe('dockerode', () => {
  it('pings, creates, attaches, starts, waits for and removes a container', async () => {
    expect((await docker.ping()).toString()).toBe('OK');
    expect((await docker.version()).ApiVersion).toBe('1.45');
    const container = await docker.createContainer({
      Image: suite.image,
      Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 7'],
      HostConfig: { NetworkMode: 'none' },
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await container.attach({ stream: true, stdout: true, stderr: true, hijack: true });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    container.modem.demuxStream(stream, stdout, stderr);
    const ended = new Promise((resolve) => stream.on('end', resolve));
    const waited = container.wait({ condition: 'next-exit' });
    await container.start();
    expect(((await waited) as { StatusCode: number }).StatusCode).toBe(7);
    await ended;
    expect(out).toBe('out\n');
    expect(err).toBe('err\n');
    const listed = await docker.listContainers({ all: true, filters: { id: [container.id] } });
    expect(listed.map((c) => c.State)).toEqual(['exited']);
    await container.remove();
    expect(await suite.must(['ps', '-aq'])).toBe('');
  });

  it('answers a wait on a container that already exited, each time, and so does docker wait', async () => {
    const container = await docker.createContainer({
      Image: suite.image,
      Cmd: ['sh', '-c', 'exit 3'],
      HostConfig: { NetworkMode: 'none' },
    });
    const client = dockerClient(service);
    try {
      await container.start();
      await waitFor(
        async () => (await container.inspect()).State.Status === 'exited',
        'the container to exit',
      );
      // Its monitor is gone by now: the wait has no socket to listen on and must still answer.
      for (let round = 0; round < 3; round++) {
        const answer = await Promise.race([
          container.wait(),
          new Promise((resolve) => setTimeout(() => resolve('no answer in 10 s'), 10_000)),
        ]);
        expect(answer).toEqual({ StatusCode: 3, Error: null });
      }
      const waited = await client.run('timeout', ['20', 'docker', 'wait', container.id]);
      expect(waited).toMatchObject({ code: 0, stdout: '3\n' });
    } finally {
      client.remove();
      await container.remove({ force: true });
    }
    expect(await suite.must(['ps', '-aq'])).toBe('');
  });
});

describe('dockerode: a wait asked before the start', () => {
  it('ends with the exit code of a container that exits before any poll sees it run', async () => {
    // No attach: nothing keeps the monitor for the exit code; the container is gone at once.
    for (let round = 0; round < 5; round += 1) {
      const container = await docker.createContainer({
        Image: suite.image,
        Cmd: ['sh', '-c', 'exit 3'],
        HostConfig: { NetworkMode: 'none' },
      });
      const waited = container.wait();
      await container.start();
      expect(((await waited) as { StatusCode: number }).StatusCode).toBe(3);
      await container.remove();
    }
  });
});

describe('dockerode: build and commit', () => {
  it('builds a context it packs itself, its messages as dockerd streams them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'koker-e2e-node-build-'));
    try {
      writeFileSync(
        join(dir, 'Dockerfile'),
        `FROM ${suite.image}\nARG WHO\nRUN echo "built by $WHO" > /who.txt\n`,
      );
      const stream = await docker.buildImage(
        { context: dir, src: ['Dockerfile'] },
        { t: 'node-built:1', buildargs: { WHO: 'dockerode' }, labels: { from: 'node' } },
      );
      const messages = await new Promise<{ stream?: string; aux?: { ID?: string }; error?: string }[]>(
        (resolve, reject) =>
          docker.modem.followProgress(stream, (error: Error | null, output: never[]) =>
            error ? reject(error) : resolve(output),
          ),
      );
      expect(messages.filter((m) => m.error)).toEqual([]);
      const id = messages.find((m) => m.aux?.ID)?.aux?.ID;
      expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
      const text = messages.map((m) => m.stream ?? '').join('');
      expect(text).toContain('Step 3/3 : RUN echo "built by $WHO" > /who.txt');
      expect(text).toContain('Successfully tagged node-built:1');
      const image = await docker.getImage('node-built:1').inspect();
      expect(image.Id).toBe(id);
      expect(image.Config.Labels).toEqual({ from: 'node' });
      expect(await suite.must(['run', '--rm', '--network', 'none', 'node-built:1', 'cat', '/who.txt'])).toBe(
        'built by dockerode\n',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('builds a context the service fetches (remote=): a Git repository, a tar and a Dockerfile at URLs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'koker-e2e-node-remote-'));
    const repo = join(dir, 'git', 'repo');
    const context = join(dir, 'context');
    const served = join(dir, 'served');
    for (const made of [join(repo, 'app'), context, served]) mkdirSync(made, { recursive: true });
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@koker.test', ...args], { cwd: repo });
    git('init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'app', 'Dockerfile'), `FROM ${suite.image}\nCOPY hello /hello\n`);
    writeFileSync(join(repo, 'app', 'hello'), 'from git\n');
    git('add', '.');
    git('commit', '-q', '-m', 'app');
    writeFileSync(join(context, 'Dockerfile'), `FROM ${suite.image}\nCOPY hello /hello\n`);
    writeFileSync(join(context, 'hello'), 'from a tar\n');
    execFileSync('tar', ['-cf', join(served, 'context.tar'), '-C', context, '.']);
    writeFileSync(join(served, 'Dockerfile'), `FROM ${suite.image}\nENV FROM_URL=yes\n`);
    const daemon = await startGitDaemon(join(dir, 'git'));
    const server = await serveFiles(served);
    const remoteBuild = async (remote: string, t: string) => {
      // No body: dockerode sends its options as JSON, which the service leaves unread, as dockerd.
      const stream = await docker.buildImage(undefined as unknown as string, { remote, t });
      return new Promise<{ stream?: string; error?: string }[]>((resolve, reject) =>
        docker.modem.followProgress(stream, (error: Error | null, output: never[]) =>
          error ? reject(error) : resolve(output),
        ),
      );
    };
    const cat = (image: string) => suite.must(['run', '--rm', '--network', 'none', image, 'cat', '/hello']);
    try {
      const fromGit = await remoteBuild(`${daemon.url('repo')}#main:app`, 'node-remote:git');
      expect(fromGit.filter((m) => m.error)).toEqual([]);
      expect(fromGit.map((m) => m.stream ?? '').join('')).toContain('Successfully tagged node-remote:git');
      expect(await cat('node-remote:git')).toBe('from git\n');
      expect(
        (await remoteBuild(`${server.url}/context.tar`, 'node-remote:tar')).filter((m) => m.error),
      ).toEqual([]);
      expect(await cat('node-remote:tar')).toBe('from a tar\n');
      await remoteBuild(`${server.url}/Dockerfile`, 'node-remote:file');
      expect((await docker.getImage('node-remote:file').inspect()).Config.Env).toContain('FROM_URL=yes');
      const missing = await remoteBuild(`${server.url}/nothing.tar`, 'node-remote:missing');
      expect(missing.map((m) => m.error ?? '').join('')).toContain(
        `cannot download ${server.url}/nothing.tar: HTTP 404`,
      );
      const ftp = await remoteBuild('ftp://127.0.0.1/context.tar', 'node-remote:ftp');
      expect(ftp.map((m) => m.error ?? '').join('')).toContain(
        'koker downloads http:// and https:// URLs only',
      );
      await expect(remoteBuild('no-such-place', 'node-remote:nowhere')).rejects.toThrow(
        /neither a Git repository nor a URL/,
      );
    } finally {
      daemon.stop();
      server.stop();
      for (const tag of ['git', 'tar', 'file'])
        await docker
          .getImage(`node-remote:${tag}`)
          .remove()
          .catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("commits a container's changes with a comment and a change", async () => {
    const container = await docker.createContainer({
      Image: 'node-built:1',
      Cmd: ['sh', '-c', 'echo changed > /changed.txt'],
      HostConfig: { NetworkMode: 'none' },
    });
    await container.start();
    await container.wait();
    const committed = (await container.commit({
      repo: 'node-committed',
      tag: '1',
      comment: 'from dockerode',
      changes: 'CMD ["cat", "/changed.txt"]',
    })) as { Id: string };
    expect(committed.Id).toMatch(/^sha256:[0-9a-f]{64}$/);
    const history = (await docker.getImage('node-committed:1').history()) as {
      Id: string;
      Comment: string;
    }[];
    expect(history[0]).toMatchObject({ Id: committed.Id, Comment: 'from dockerode' });
    expect((await docker.getImage('node-committed:1').inspect()).Comment).toBe('from dockerode');
    expect(await suite.must(['run', '--rm', '--network', 'none', 'node-committed:1'])).toBe('changed\n');
    await container.remove();
    await docker.getImage('node-committed:1').remove();
    await docker.getImage('node-built:1').remove();
  });
});

describe('testcontainers', () => {
  it('starts a GenericContainer from the loopback registry with an exposed port and wait strategies', async () => {
    const started = await new GenericContainer(suite.registry.images.busybox)
      .withCommand([
        'sh',
        '-c',
        'mkdir -p /www && echo served > /www/index.html && echo ready && httpd -f -p 8080 -h /www',
      ])
      .withExposedPorts(8080)
      .withWaitStrategy(Wait.forAll([Wait.forLogMessage('ready'), Wait.forListeningPorts()]))
      .start();
    try {
      const port = started.getMappedPort(8080);
      expect(port).toBeGreaterThan(0);
      const answer = await fetch(`http://${started.getHost()}:${port}/index.html`);
      expect(await answer.text()).toBe('served\n');
      expect(await suite.must(['ps', '--format', '{{.ID}}'])).toContain(started.getId().slice(0, 12));
    } finally {
      await started.stop();
    }
    expect(await suite.must(['ps', '-aq'])).toBe('');
  });
});
