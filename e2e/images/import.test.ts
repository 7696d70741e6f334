import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, openSync, closeSync, readdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startContainerSuite, type ContainerSuite } from '../containers/helpers/container-suite.js';
import { KOKER_BIN } from '../helpers/koker.js';

let suite: ContainerSuite;
let exported: string;

beforeAll(async () => {
  suite = await startContainerSuite();
  await suite.must([
    'run',
    '--name',
    'src',
    '--network',
    'none',
    suite.image,
    'sh',
    '-c',
    'echo made > /made',
  ]);
  exported = join(suite.root, 'src.tar');
  await suite.must(['export', '-o', exported, 'src']);
  await suite.must(['rm', 'src']);
});

afterAll(async () => {
  await suite?.stop();
  expect(suite?.leaks() ?? []).toEqual([]);
});

/** `koker import - NAME` with the file on stdin. */
function importFromStdin(
  file: string,
  name: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const input = openSync(file, 'r');
    const child = spawn(KOKER_BIN, ['--root', suite.root, 'import', '-', name], {
      stdio: [input, 'pipe', 'pipe'],
      env: { ...process.env, KOKER_CONFIG: join(suite.root, 'config.json') },
    });
    closeSync(input);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('koker import', () => {
  it('imports an exported container with --change and -m, and runs it', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const imported = await suite.koker([
      'import',
      '-c',
      'CMD ["cat", "/made"]',
      '-c',
      'ENV GREETING="hello there" MODE=test',
      '-c',
      'EXPOSE 8080 53/udp',
      '-c',
      'WORKDIR /srv',
      '-c',
      'LABEL org.example.origin=export',
      '-m',
      'from an export',
      exported,
      'imported:1',
    ]);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    const id = imported.stdout.trim();

    const ran = await suite.koker(['run', '--rm', '--network', 'none', 'imported:1']);
    expect(ran.stdout).toBe('made\n');
    const config = JSON.parse(
      await suite.must(['image', 'inspect', '-f', '{{json .Config}}', 'imported:1']),
    ) as Record<string, unknown>;
    expect(config).toMatchObject({
      Cmd: ['cat', '/made'],
      Env: ['GREETING=hello there', 'MODE=test'],
      ExposedPorts: { '8080/tcp': {}, '53/udp': {} },
      WorkingDir: '/srv',
      Labels: { 'org.example.origin': 'export' },
    });
    expect(await suite.must(['image', 'inspect', '-f', '{{.Id}}', 'imported:1'])).toBe(`${id}\n`);
    expect(await suite.must(['history', '--format', '{{.Comment}}', 'imported:1'])).toBe('from an export\n');
    const ls = await suite.must([
      'run',
      '--rm',
      '--network',
      'none',
      'imported:1',
      'ls',
      '/bin/busybox',
      '/made',
    ]);
    expect(ls).toBe('/bin/busybox\n/made\n');

    const events = await suite.must([
      'events',
      '--since',
      String(since),
      '--until',
      String(Date.now() / 1000 + 0.5),
      '--filter',
      'type=image',
      '--format',
      '{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}}',
    ]);
    expect(events).toContain(`import ${id} ${id}\ntag ${id} imported:1\n`);
  });

  it('imports from stdin and from an http URL on loopback; other schemes and failed downloads are refused', async () => {
    const fromStdin = await importFromStdin(exported, 'stdin:1');
    expect(fromStdin.stderr).toBe('');
    expect(fromStdin.code).toBe(0);
    expect(await suite.must(['history', '--format', '{{.Comment}}', 'stdin:1'])).toBe('Imported from -\n');

    const server: Server = createServer((request, response) => {
      if (request.url !== '/rootfs.tar') return void response.writeHead(404).end('not here');
      response.writeHead(200, { 'content-length': String(statSync(exported).size) });
      createReadStream(exported).pipe(response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    try {
      const fromUrl = await suite.koker(['import', `${base}/rootfs.tar`, 'url:1']);
      expect(fromUrl.stderr).toBe('');
      expect(fromUrl.code).toBe(0);
      expect(await suite.must(['history', '--format', '{{.Comment}}', 'url:1'])).toBe(
        `Imported from ${base}/rootfs.tar\n`,
      );
      expect((await suite.koker(['run', '--rm', '--network', 'none', 'url:1', 'cat', '/made'])).stdout).toBe(
        'made\n',
      );
      const missing = await suite.koker(['import', `${base}/nothing.tar`]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain(`koker: cannot download ${base}/nothing.tar: HTTP 404`);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    const ftp = await suite.koker(['import', 'ftp://127.0.0.1/rootfs.tar']);
    expect(ftp.code).toBe(1);
    expect(ftp.stderr).toContain('koker downloads http:// and https:// URLs only');
  });

  it('imports xz and bzip2 tarballs as the plain tar inside', async () => {
    for (const [program, suffix] of [
      ['xz', 'xz'],
      ['bzip2', 'bz2'],
    ] as const) {
      const compressed = join(suite.root, `src.tar.${suffix}`);
      execFileSync('sh', ['-c', `${program} -c < ${exported} > ${compressed}`]);
      const imported = await suite.koker(['import', compressed, `${program}:1`]);
      expect(imported.stderr).toBe('');
      expect(imported.code).toBe(0);
      expect(
        (await suite.koker(['run', '--rm', '--network', 'none', `${program}:1`, 'cat', '/made'])).stdout,
      ).toBe('made\n');
    }
    // The same tar inside: the same layer as the plain import.
    const layers = async (name: string) =>
      (await suite.must(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', name])).trim();
    expect(await layers('xz:1')).toBe(await layers('imported:1'));
    expect(await layers('bzip2:1')).toBe(await layers('imported:1'));
  });

  it('refuses a tarball whose names leave the layer, and stores nothing', async () => {
    const hostile = join(suite.root, 'hostile.tar');
    execFileSync('python3', [
      '-c',
      `import tarfile, io
with tarfile.open(${JSON.stringify(hostile)}, 'w') as tar:
    data = b'owned'
    info = tarfile.TarInfo('../../escaped')
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))`,
    ]);
    const before = await suite.must(['images', '-q']);
    const refused = await suite.koker(['import', hostile, 'hostile:1']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('has a ".." component (it would leave the layer)');
    expect(await suite.must(['images', '-q'])).toBe(before);
    expect(readdirSync(join(suite.root, 'images', 'tmp'))).toEqual([]);

    // The same words and usage status as `commit --change` (one parser: @koker/builder's).
    const bad = await suite.koker(['import', '-c', 'RUN rm -rf /', exported]);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain('RUN is not a valid change command');
  });
});
