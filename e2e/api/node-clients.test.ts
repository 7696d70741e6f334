import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { GenericContainer, Wait } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startContainerSuite, type ContainerSuite } from '../containers/helpers/container-suite.js';
import { startApiService, type ApiService } from './api-service.js';

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
