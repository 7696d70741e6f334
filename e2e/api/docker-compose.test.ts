import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startContainerSuite, waitFor, type ContainerSuite } from '../containers/helpers/container-suite.js';
import { dockerClient, startApiService, type ApiService } from './api-service.js';

// Debian's docker-compose (1.29, docker-py) on koker's API service: a server and a client that
// reaches it by its service name on the project's network, a named volume; nothing left after down -v.
let suite: ContainerSuite;
let service: ApiService;
let client: ReturnType<typeof dockerClient>;
let project: string;
let buildProject: string | undefined;

beforeAll(async () => {
  suite = await startContainerSuite();
  service = await startApiService(suite.root, { KOKER_CONFIG: `${suite.root}/config.json` });
  client = dockerClient(service);
  project = mkdtempSync(join(tmpdir(), 'koker-e2e-compose-'));
});
afterAll(async () => {
  if (project) {
    await client?.run('docker-compose', [
      '--project-directory',
      project,
      '-f',
      join(project, 'docker-compose.yml'),
      '-p',
      'kokerapi',
      'down',
      '-v',
    ]);
    rmSync(project, { recursive: true, force: true });
  }
  if (buildProject) {
    await client?.run('docker-compose', [
      '--project-directory',
      buildProject,
      '-f',
      join(buildProject, 'docker-compose.yml'),
      '-p',
      'kokerbuild',
      'down',
      '--rmi',
      'all',
    ]);
    rmSync(buildProject, { recursive: true, force: true });
  }
  if (service) expect(await service.stop()).toBe(0);
  client?.remove();
  await suite?.stop();
  expect(suite?.leaks() ?? []).toEqual([]);
});

it('brings a two-service project up, shows its logs and ps, and takes it all down', async () => {
  writeFileSync(
    join(project, 'docker-compose.yml'),
    `version: "3.7"
services:
  server:
    image: ${suite.image}
    command: sh -c 'echo hello-from-server > /data/index.html && httpd -f -v -p 8080 -h /data'
    volumes:
      - data:/data
    stop_grace_period: 1s
  client:
    image: ${suite.image}
    command: sh -c 'for i in $$(seq 1 40); do wget -qO- http://server:8080/index.html && break; sleep 0.25; done; sleep 1000'
    depends_on:
      - server
    stop_grace_period: 1s
volumes:
  data:
`,
  );
  const compose = (...args: string[]) =>
    client.run('docker-compose', [
      '--project-directory',
      project,
      '-f',
      join(project, 'docker-compose.yml'),
      '-p',
      'kokerapi',
      ...args,
    ]);
  const up = await compose('up', '-d');
  expect(up.code, up.stderr).toBe(0);
  // koker's own commands see what compose made.
  expect((await suite.must(['ps', '--format', '{{.Names}}'])).split('\n').sort()).toEqual([
    '',
    'kokerapi_client_1',
    'kokerapi_server_1',
  ]);
  expect(await suite.must(['network', 'ls'])).toContain('kokerapi_default');
  expect(await suite.must(['volume', 'ls', '-q'])).toContain('kokerapi_data');

  const ps = await compose('ps');
  expect(ps.stdout).toMatch(/kokerapi_server_1 .* Up/);
  expect(ps.stdout).toMatch(/kokerapi_client_1 .* Up/);
  // The client reached the server by its service name.
  await waitFor(
    async () => (await compose('logs', '--no-color', 'client')).stdout.includes('hello-from-server'),
    'the client to reach the server',
  );
  expect((await compose('logs', '--no-color', 'server')).stdout).toMatch(/server_1 .*response:200/);

  const down = await compose('down', '-v');
  expect(down.code, down.stderr).toBe(0);
  expect((await suite.must(['ps', '-aq'])).trim()).toBe('');
  expect(await suite.must(['network', 'ls'])).not.toContain('kokerapi');
  expect((await suite.must(['volume', 'ls', '-q'])).trim()).toBe('');
});

it('builds a service from its build: context (docker-py sends the context as a tar), then runs it', async () => {
  buildProject = mkdtempSync(join(tmpdir(), 'koker-e2e-compose-build-'));
  mkdirSync(join(buildProject, 'app'));
  writeFileSync(
    join(buildProject, 'app', 'Dockerfile'),
    `FROM ${suite.image}\nARG WORD\nRUN echo "built-by-compose $WORD" > /b.txt\nCMD cat /b.txt && sleep 1000\n`,
  );
  writeFileSync(
    join(buildProject, 'docker-compose.yml'),
    `version: "3.7"
services:
  app:
    build:
      context: ./app
      args:
        WORD: "yes"
    image: kokerbuild-app:1
    network_mode: none
    stop_grace_period: 1s
`,
  );
  const compose = (...args: string[]) =>
    client.run('docker-compose', [
      '--project-directory',
      buildProject as string,
      '-f',
      join(buildProject as string, 'docker-compose.yml'),
      '-p',
      'kokerbuild',
      ...args,
    ]);
  const built = await compose('build');
  expect(built.code, built.stderr).toBe(0);
  expect(built.stdout + built.stderr).toContain('Successfully tagged kokerbuild-app:1');
  expect(await suite.must(['images', '--format', '{{.Repository}}:{{.Tag}}'])).toContain('kokerbuild-app:1');
  const up = await compose('up', '-d');
  expect(up.code, up.stderr).toBe(0);
  await waitFor(
    async () => (await compose('logs', '--no-color', 'app')).stdout.includes('built-by-compose yes'),
    'the built service to print its file',
  );
  const down = await compose('down', '--rmi', 'all');
  expect(down.code, down.stderr).toBe(0);
  expect((await suite.must(['ps', '-aq'])).trim()).toBe('');
  expect(await suite.must(['images', '--format', '{{.Repository}}'])).not.toContain('kokerbuild-app');
});
