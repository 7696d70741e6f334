import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startContainerSuite, waitFor, type ContainerSuite } from '../containers/helpers/container-suite.js';
import { dockerClient, startApiService, type ApiService } from './api-service.js';

// `koker system service -H tcp://...`: TLS with client certificates (dockerd's --tlsverify), driven
// by Debian's docker CLI and dockerode with certificates openssl made for this run.
let suite: ContainerSuite;
let service: ApiService;
let client: ReturnType<typeof dockerClient>;
let pki: string;
let port: number;

/** A CA, a certificate for 127.0.0.1 and a client certificate it signed; `other` is a second CA's client. */
function makePki(dir: string): void {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const key = (name: string) =>
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', name);
  const ca = (name: string) => {
    key(`${name}-key.pem`);
    openssl(
      'req',
      '-x509',
      '-new',
      '-key',
      `${name}-key.pem`,
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
    );
  };
  const signed = (name: string, by: string, cn: string, extensions: string) => {
    key(`${name}-key.pem`);
    openssl('req', '-new', '-key', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    writeFileSync(join(dir, `${name}.ext`), extensions);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${by}.pem`,
      '-CAkey',
      `${by}-key.pem`,
      '-CAcreateserial',
      '-out',
      `${name}-cert.pem`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    );
  };
  ca('ca');
  ca('other-ca');
  signed('server', 'ca', '127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  signed('client', 'ca', 'client', 'extendedKeyUsage=clientAuth\n');
  signed('stranger', 'other-ca', 'client', 'extendedKeyUsage=clientAuth\n');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

const tlsFiles = () => [
  '--tlscacert',
  join(pki, 'ca.pem'),
  '--tlscert',
  join(pki, 'server-cert.pem'),
  '--tlskey',
  join(pki, 'server-key.pem'),
];

beforeAll(async () => {
  pki = mkdtempSync(join(tmpdir(), 'koker-e2e-tls-'));
  makePki(pki);
  suite = await startContainerSuite();
  port = await freePort();
  service = await startApiService(suite.root, { KOKER_CONFIG: `${suite.root}/config.json` }, [
    '-H',
    `tcp://127.0.0.1:${port}`,
    '--tlsverify',
    ...tlsFiles(),
  ]);
  client = dockerClient(service);
});
afterAll(async () => {
  if (service) expect(await service.stop()).toBe(0);
  client?.remove();
  await suite?.stop();
  if (pki) rmSync(pki, { recursive: true, force: true });
  expect(suite?.leaks() ?? []).toEqual([]);
});

/** Debian's docker CLI on the TCP port; `cert`: which client certificate it shows, if any. */
function dockerTls(args: readonly string[], cert: 'client' | 'stranger' | 'none' = 'client') {
  const identity =
    cert === 'none'
      ? []
      : ['--tlscert', join(pki, `${cert}-cert.pem`), '--tlskey', join(pki, `${cert}-key.pem`)];
  return client.run('docker', [
    '-H',
    `tcp://127.0.0.1:${port}`,
    '--tlsverify',
    '--tlscacert',
    join(pki, 'ca.pem'),
    ...identity,
    ...args,
  ]);
}

describe('TCP without client certificates', () => {
  it('is refused before anything listens, with what to give instead', async () => {
    const plain = await suite.koker(['system', 'service', '-H', `tcp://127.0.0.1:${await freePort()}`]);
    expect(plain.code).toBe(125);
    expect(plain.stderr).toContain('refusing to serve the API on tcp://127.0.0.1');
    expect(plain.stderr).toContain('--tlsverify --tlscacert');
    const partial = await suite.koker([
      'system',
      'service',
      '-H',
      `tcp://127.0.0.1:${port + 1}`,
      '--tlsverify',
    ]);
    expect(partial.code).toBe(125);
    expect(partial.stderr).toContain('--tlsverify needs --tlscacert, --tlscert and --tlskey');
    const mismatched = await suite.koker([
      'system',
      'service',
      '-H',
      `tcp://127.0.0.1:${port + 1}`,
      '--tlsverify',
      '--tlscacert',
      join(pki, 'ca.pem'),
      '--tlscert',
      join(pki, 'client-cert.pem'),
      '--tlskey',
      join(pki, 'server-key.pem'),
    ]);
    expect(mismatched.code).not.toBe(0);
    expect(mismatched.stderr).toContain('key values mismatch');
  });
});

describe('TCP with TLS client certificates', () => {
  it('serves the docker CLI with a certificate of the CA: run --rm, run -d, ps', async () => {
    expect(
      await dockerTls(['run', '--rm', '--network', 'none', suite.image, 'sh', '-c', 'echo over-tls; exit 3']),
    ).toMatchObject({
      code: 3,
      stdout: 'over-tls\n',
    });
    const started = await dockerTls([
      'run',
      '-d',
      '--name',
      'tls-box',
      '--network',
      'none',
      suite.image,
      'sleep',
      '1000',
    ]);
    expect(started.code).toBe(0);
    expect((await dockerTls(['ps', '--format', '{{.Names}} {{.State}}'])).stdout).toBe('tls-box running\n');
    // The unix socket beside it is the same service over the same store.
    expect((await client.docker(['ps', '--format', '{{.Names}}'])).stdout).toBe('tls-box\n');
    expect(await suite.must(['ps', '--format', '{{.Names}}'])).toBe('tls-box\n');
    expect((await dockerTls(['rm', '-f', 'tls-box'])).code).toBe(0);
    expect(await suite.must(['ps', '-aq'])).toBe('');
  });

  it('refuses a client without a certificate, with one of another CA, and plain HTTP', async () => {
    const none = await dockerTls(['ps'], 'none');
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('certificate required');
    // Go's TLS offers no certificate of a CA the server did not name: the CLI shows none.
    const stranger = await dockerTls(['ps'], 'stranger');
    expect(stranger.code).not.toBe(0);
    expect(stranger.stderr).toContain('certificate required');
    const plain = await fetch(`http://127.0.0.1:${port}/_ping`).then(
      (answer) => `status ${answer.status}`,
      (error: Error) => `failed: ${error.message}`,
    );
    expect(plain).toMatch(/^failed/);
    expect(service.log()).toContain('TLS client refused');
  });

  it('serves dockerode over TLS, and refuses it without a certificate', async () => {
    const ca = readFileSync(join(pki, 'ca.pem'));
    const docker = new Docker({
      protocol: 'https',
      host: '127.0.0.1',
      port,
      ca,
      cert: readFileSync(join(pki, 'client-cert.pem')),
      key: readFileSync(join(pki, 'client-key.pem')),
    });
    expect((await docker.ping()).toString()).toBe('OK');
    const container = await docker.createContainer({
      Image: suite.image,
      Cmd: ['sh', '-c', 'echo from-dockerode; exit 2'],
      HostConfig: { NetworkMode: 'none' },
    });
    await container.start();
    await waitFor(async () => (await container.inspect()).State.Status === 'exited', 'the container to end');
    expect((await container.inspect()).State.ExitCode).toBe(2);
    const logs = await container.logs({ stdout: true, stderr: true });
    expect(logs.subarray(8).toString()).toBe('from-dockerode\n');
    await container.remove();
    expect(await suite.must(['ps', '-aq'])).toBe('');
    const anonymous = new Docker({ protocol: 'https', host: '127.0.0.1', port, ca });
    await expect(anonymous.ping()).rejects.toThrow(/certificate required/);
    // Neither Go's TLS nor OpenSSL's offers a certificate of a CA the service did not name.
    const stranger = new Docker({
      protocol: 'https',
      host: '127.0.0.1',
      port,
      ca,
      cert: readFileSync(join(pki, 'stranger-cert.pem')),
      key: readFileSync(join(pki, 'stranger-key.pem')),
    });
    await expect(stranger.ping()).rejects.toThrow(/certificate required|unknown ca|socket hang up/);
  });
});

describe('docker exec -it', () => {
  it("gives the exec's terminal the client's size, and each resize (POST /exec/{id}/resize)", async () => {
    expect(
      (await dockerTls(['run', '-d', '--name', 'tty-box', '--network', 'none', suite.image, 'sleep', '1000']))
        .code,
    ).toBe(0);
    const docker = [
      'docker',
      '-H',
      `tcp://127.0.0.1:${port}`,
      '--tlsverify',
      '--tlscacert',
      join(pki, 'ca.pem'),
    ]
      .concat(['--tlscert', join(pki, 'client-cert.pem'), '--tlskey', join(pki, 'client-key.pem')])
      .join(' ');
    // On script's terminal: 33x101 at the start, then 40x120 and a SIGWINCH for the CLI, as a
    // terminal window resized would give it.
    const shell = [
      'stty rows 33 cols 101',
      `${docker} exec -it tty-box sh -c 'sleep 0.5; stty size; sleep 3; stty size' </dev/tty & sleep 1.5`,
      'stty rows 40 cols 120 </dev/tty',
      'kill -WINCH $!',
      'wait $!',
    ].join('; ');
    const run = await client.run('script', ['-qec', shell, '/dev/null']);
    expect(run.code).toBe(0);
    const sizes = service
      .log()
      .split('\n')
      .filter((line) => /Exec terminal size|Resize exec terminal/.test(line));
    expect(run.stdout.replace(/\r/g, ''), sizes.join('\n')).toMatch(/33 101\n40 120\n/);
    expect((await dockerTls(['rm', '-f', 'tty-box'])).code).toBe(0);
  });
});
