import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureArchives } from '../fixtures/fixture-registry.js';
import { leaksBetween, snapshotHost, type HostSnapshot } from '../helpers/host-leaks.js';
import { serveFiles } from '../helpers/file-server.js';
import { startGitDaemon } from '../helpers/git-daemon.js';
import { KOKER_BIN } from '../helpers/koker.js';
import { releaseKokerRoot } from '../helpers/koker-root.js';

// `koker build` through the real CLI, beside Debian's podman on the same Dockerfile and
// context: the file trees (owners, modes, links), the extended attributes (a user.* one and a
// file capability, their values) and the image configs must match; an unchanged rebuild is all
// cache hits.

const DOCKERFILE = `# syntax=docker/dockerfile:1
ARG BASE=busybox
FROM \${BASE} AS base
ARG GREETING=hi
ENV APP=/app \\
    MODE=test
WORKDIR $APP
COPY hello.txt run.sh ./
COPY --chown=1000:1000 --chmod=640 sub/ /app/sub/
ADD link.txt /app/
COPY nested /app/nested/
ADD bundle.tar.gz /opt/
ADD bundle.tar.bz2 /opt/bz2/
ADD bundle.tar.xz /opt/xz/
COPY xattr.txt capable /app/attrs/
RUN touch /app/attrs/xattr.txt && \
    echo "$GREETING from $MODE" > /app/greeting && rm /app/nested/gone && \\
    rm -rf /app/sub && mkdir /app/sub && echo new > /app/sub/new && \\
    mkdir -p /data && chown 12:34 /data && chmod 2750 /data
SHELL ["/bin/sh", "-e", "-c"]
RUN ln -s /app/greeting /app/greeting-link && ln /app/hello.txt /app/hello-hard
USER 1000:1000
EXPOSE 8080/tcp 53/udp
LABEL org.example.a=yes "org.example.b"="two words"
VOLUME /data
STOPSIGNAL SIGINT
HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD ["true"]
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /app/greeting"]

FROM busybox
WORKDIR /srv/www
COPY --from=base /app/greeting ./copied
COPY --from=base /app/attrs /srv/www/attrs/
ENV FROM_FINAL=1
CMD ["cat", "/srv/www/copied"]
`;

/** Paths the runtimes add to a container (mount targets, podman's marker): not the image's. */
const RUNTIME_PATHS = /^(proc|sys|dev|run|etc\/hosts|etc\/hostname|etc\/resolv\.conf)(\/|$)/;

let work: string;
let root: string;
let podmanDir: string;
let context: string;
let before: HostSnapshot;

function koker(
  args: readonly string[],
  input?: Buffer | string,
): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(KOKER_BIN, ['--root', root, ...args], {
    input: input ?? '',
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

function must(args: readonly string[], input?: Buffer | string): string {
  const result = koker(args, input);
  if (result.code !== 0)
    throw new Error(`koker ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** A file of an image, as a container of it reads it. */
const cat = (image: string, file: string) => must(['run', '--rm', '--network', 'none', image, 'cat', file]);

const PODMAN_GLOBALS = () => [
  '--root',
  join(podmanDir, 'root'),
  '--runroot',
  join(podmanDir, 'run'),
  '--tmpdir',
  join(podmanDir, 'tmp'),
  '--cgroup-manager',
  'cgroupfs',
  '--events-backend',
  'file',
  '--runtime',
  'runc',
];

function podman(args: readonly string[]): string {
  return execFileSync('podman', [...PODMAN_GLOBALS(), ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const sha256Of = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

/** podman's standard output as bytes (a tar). */
function podmanBytes(args: readonly string[]): Buffer {
  return execFileSync('podman', [...PODMAN_GLOBALS(), ...args], {
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** A tar's entries as `tar -tv` lists them, without times: type, mode, owner, size, name, link. */
function treeOf(archive: string): string[] {
  return execFileSync('tar', ['--numeric-owner', '--xattrs', '--xattrs-include=*', '-tvf', archive], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [perms = '', owner = '', size = '', , , ...rest] = line.split(/\s+/);
      const name = rest
        .join(' ')
        .replace(/^\.\//, '')
        .replace(/\/$/, '')
        .replace(/ link to \.\//, ' link to ');
      // The xattr marker ('*') is left out: export's attributes differ by design (koker's, as
      // Docker's, carry file capabilities only; podman's every one), and xattrsOf compares them.
      return { perms: perms.replace(/\*$/, ''), owner, size: perms.startsWith('d') ? '0' : size, name };
    })
    .filter((e) => e.name !== '' && e.name !== '.' && !RUNTIME_PATHS.test(e.name))
    .map((e) => `${e.perms} ${e.owner} ${e.size} ${e.name}`)
    .sort();
}

/**
 * The extended attributes under `dir` of a tar (`cp -a` of koker, `podman cp`), values in hex:
 * the tar is extracted with every xattr, then `getfattr` dumps them, one block per file.
 */
function xattrsOf(archive: string, into: string): string {
  mkdirSync(into, { recursive: true });
  execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-C', into, '-xf', archive]);
  return execFileSync('getfattr', ['-R', '-d', '-m', '-', '-e', 'hex', '.'], {
    cwd: into,
    encoding: 'utf8',
  })
    .split('\n\n')
    .filter(Boolean)
    .sort()
    .join('\n\n');
}

/** The parts of an image config the two builders must agree on. */
function configOf(inspect: string): Record<string, unknown> {
  const [image] = JSON.parse(inspect) as { Config: Record<string, unknown> }[];
  const config = image?.Config ?? {};
  const labels = { ...((config.Labels as Record<string, string> | null) ?? {}) };
  delete labels['io.buildah.version'];
  const pick = [
    'Env',
    'Cmd',
    'Entrypoint',
    'User',
    'WorkingDir',
    'ExposedPorts',
    'Volumes',
    'Healthcheck',
    'StopSignal',
  ];
  return { ...Object.fromEntries(pick.map((key) => [key, config[key] ?? null])), Labels: labels };
}

beforeAll(async () => {
  before = snapshotHost();
  work = mkdtempSync(join(tmpdir(), 'koker-e2e-build-'));
  root = join(work, 'root');
  podmanDir = join(work, 'podman');
  context = join(work, 'context');
  mkdirSync(join(context, 'sub/deep'), { recursive: true });
  mkdirSync(join(context, 'nested/inner'), { recursive: true });
  writeFileSync(join(context, 'Dockerfile'), DOCKERFILE);
  writeFileSync(join(context, 'hello.txt'), 'hello\n');
  writeFileSync(join(context, 'run.sh'), '#!/bin/sh\necho run\n');
  chmodSync(join(context, 'run.sh'), 0o755);
  writeFileSync(join(context, 'sub/deep/file'), 'deep\n');
  writeFileSync(join(context, 'nested/inner/private'), 'p\n');
  chmodSync(join(context, 'nested/inner/private'), 0o600);
  writeFileSync(join(context, 'nested/gone'), 'removed by a RUN\n');
  linkSync(join(context, 'nested/inner/private'), join(context, 'nested/inner/hardlink'));
  symlinkSync('hello.txt', join(context, 'link.txt'));
  symlinkSync('../hello.txt', join(context, 'nested/up-link'));
  writeFileSync(join(context, 'secret.txt'), 'never copied\n');
  writeFileSync(join(context, 'nested/scratch.tmp'), 'never copied\n');
  // ADD unpacks a local archive, owners as the archive has them.
  const bundle = join(work, 'bundle');
  mkdirSync(join(bundle, 'tool/bin'), { recursive: true });
  writeFileSync(join(bundle, 'tool/bin/run'), '#!/bin/sh\n');
  chmodSync(join(bundle, 'tool/bin/run'), 0o750);
  execFileSync('tar', [
    '-C',
    bundle,
    '--owner=1234',
    '--group=5678',
    '-czf',
    join(context, 'bundle.tar.gz'),
    'tool',
  ]);
  for (const [flag, name] of [
    ['-cjf', 'bundle.tar.bz2'],
    ['-cJf', 'bundle.tar.xz'],
  ] as const)
    execFileSync('tar', ['-C', bundle, '--owner=1234', '--group=5678', flag, join(context, name), 'tool']);
  // A user.* attribute and a file capability: both builders' layers must carry them.
  writeFileSync(join(context, 'xattr.txt'), 'attributed\n');
  execFileSync('setfattr', ['-n', 'user.koker.e2e', '-v', 'kept', join(context, 'xattr.txt')]);
  writeFileSync(join(context, 'capable'), readFileSync('/bin/true'));
  chmodSync(join(context, 'capable'), 0o755);
  execFileSync('setcap', ['cap_net_bind_service+ep', join(context, 'capable')]);
  writeFileSync(join(context, '.dockerignore'), '# not in the context\nsecret.txt\n**/*.tmp\n');
  const { busyboxDocker } = await fixtureArchives();
  must(['load', '-i', busyboxDocker]);
  podman(['load', '-i', busyboxDocker]);
}, 300_000);

afterAll(async () => {
  try {
    podman(['rm', '-a', '-f']);
    podman(['system', 'reset', '-f']);
  } catch {
    // reported by the leak check below
  }
  await releaseKokerRoot(root);
  rmSync(work, { recursive: true, force: true });
  expect(leaksBetween(before, snapshotHost())).toEqual([]);
});

describe('koker build beside podman build', () => {
  for (const target of ['base', undefined]) {
    it(`builds ${target ? `the target stage ${target}` : 'the last stage'} as podman does: file tree and config`, () => {
      const targetFlags = target ? ['--target', target] : [];
      const tag = `built-${target ?? 'final'}:1`;
      must(['build', '--network', 'none', ...targetFlags, '-t', tag, context]);
      podman(['build', '--network', 'none', '--format', 'docker', ...targetFlags, '-t', tag, context]);
      const kokerConfig = configOf(must(['image', 'inspect', tag]));
      const podmanConfig = configOf(podman(['image', 'inspect', tag]));
      if (target === 'base') {
        // Docker's form (durations in ns); Debian's podman 4.3 drops this stage's HEALTHCHECK.
        expect(kokerConfig.Healthcheck).toEqual({
          Test: ['CMD', 'true'],
          Interval: 30_000_000_000,
          Timeout: 5_000_000_000,
          Retries: 3,
        });
        podmanConfig.Healthcheck ??= kokerConfig.Healthcheck;
      }
      expect(kokerConfig).toEqual(podmanConfig);

      const kokerTar = join(work, `koker-${target ?? 'final'}.tar`);
      const podmanTar = join(work, `podman-${target ?? 'final'}.tar`);
      must(['run', '--name', `tree-${target ?? 'final'}`, '--network', 'none', '--entrypoint', 'true', tag]);
      must(['export', '-o', kokerTar, `tree-${target ?? 'final'}`]);
      podman(['create', '--name', `tree-${target ?? 'final'}`, '--network', 'none', tag]);
      podman(['export', '-o', podmanTar, `tree-${target ?? 'final'}`]);
      // export carries file capabilities only (as Docker's); cp -a every attribute.
      const attrs = target === 'base' ? '/app/attrs' : '/srv/www/attrs';
      const kokerAttrs = join(work, `koker-attrs-${target ?? 'final'}.tar`);
      const podmanAttrs = join(work, `podman-attrs-${target ?? 'final'}.tar`);
      writeFileSync(
        kokerAttrs,
        execFileSync(KOKER_BIN, ['--root', root, 'cp', '-a', `tree-${target ?? 'final'}:${attrs}`, '-']),
      );
      writeFileSync(podmanAttrs, podmanBytes(['cp', `tree-${target ?? 'final'}:${attrs}`, '-']));
      must(['rm', `tree-${target ?? 'final'}`]);
      podman(['rm', `tree-${target ?? 'final'}`]);
      const kokerXattrs = xattrsOf(kokerAttrs, join(work, `koker-attrs-${target ?? 'final'}`));
      expect(kokerXattrs).toEqual(xattrsOf(podmanAttrs, join(work, `podman-attrs-${target ?? 'final'}`)));
      expect(kokerXattrs).toContain(
        `# file: attrs/xattr.txt\nuser.koker.e2e=0x${Buffer.from('kept').toString('hex')}`,
      );
      expect(kokerXattrs).toMatch(/# file: attrs\/capable\nsecurity\.capability=0x[0-9a-f]+/);
      const kokerTree = treeOf(kokerTar);
      expect(kokerTree).toEqual(treeOf(podmanTar));
      // The fixture's cases are in it: .dockerignore, --chown/--chmod, the RUN's changes.
      const names = kokerTree.map((line) => line.split(' ').slice(3).join(' '));
      expect(names.some((n) => n.includes('secret.txt') || n.endsWith('.tmp'))).toBe(false);
      if (target === 'base') {
        expect(kokerTree).toEqual(
          expect.arrayContaining([
            '-rw-r--r-- 0/0 4 app/sub/new',
            'drwxr-s--- 12/34 0 data',
            '-rwxr-xr-x 0/0 19 app/run.sh',
            '-rwxr-x--- 1234/5678 10 opt/tool/bin/run',
            '-rwxr-x--- 1234/5678 10 opt/bz2/tool/bin/run',
            '-rwxr-x--- 1234/5678 10 opt/xz/tool/bin/run',
          ]),
        );
        expect(names).not.toContain('app/nested/gone');
      }
    });
  }

  it('builds an unchanged Dockerfile again from the cache, every step, to the same image', () => {
    const first = must(['build', '-q', '--network', 'none', context]).trim();
    const again = must(['build', '--network', 'none', context]);
    const steps = again.split('\n').filter((line) => line.startsWith('Step '));
    const cached = again.split('\n').filter((line) => line === ' ---> CACHED');
    // Every step but FROM and ARG (which make no image) comes from the cache.
    expect(cached.length).toBe(steps.filter((s) => !/ : (FROM|ARG) /.test(s)).length);
    expect(cached.length).toBeGreaterThan(15);
    expect(again).toContain(`Successfully built ${first.slice(7, 19)}`);
    // A changed file in the context changes its COPY step and everything after it; the last
    // stage copies only /app/greeting from that stage, which did not change: still cached.
    const base = must(['build', '-q', '--target', 'base', '--network', 'none', context]).trim();
    writeFileSync(join(context, 'hello.txt'), 'hello again\n');
    expect(must(['build', '-q', '--target', 'base', '--network', 'none', context]).trim()).not.toBe(base);
    expect(must(['build', '-q', '--network', 'none', context]).trim()).toBe(first);
    writeFileSync(join(context, 'hello.txt'), 'hello\n');
    expect(must(['build', '-q', '--target', 'base', '--network', 'none', context]).trim()).toBe(base);
    expect(must(['build', '-q', '--no-cache', '--network', 'none', context]).trim()).not.toBe(first);
  });
});

describe('koker build', () => {
  it('takes the context as a tar on stdin, build args, labels, -q and --iidfile', () => {
    const dir = join(work, 'stdin-context');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'Dockerfile'),
      'FROM busybox\nARG WHO=nobody\nCOPY file /file\nRUN echo "hello $WHO" > /greeting\nRUN <<EOF\necho from heredoc > /heredoc\nEOF\nCOPY --chmod=600 <<EOT /copied-heredoc\n"quoted" $WHO\nEOT\nCMD ["cat", "/greeting", "/file", "/heredoc", "/copied-heredoc"]\n',
    );
    writeFileSync(join(dir, 'file'), 'from the tar\n');
    const tar = execFileSync('tar', ['-C', dir, '-c', '.']);
    const iid = join(work, 'iid');
    const id = must(
      [
        'build',
        '-q',
        '--network',
        'none',
        '--build-arg',
        'WHO=koker',
        '--label',
        'built.by=e2e',
        '--iidfile',
        iid,
        '-t',
        'from-stdin',
        '-',
      ],
      tar,
    ).trim();
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(readFileSync(iid, 'utf8')).toBe(id);
    expect(must(['run', '--rm', '--network', 'none', 'from-stdin'])).toBe(
      'hello koker\nfrom the tar\nfrom heredoc\n"quoted" koker\n',
    );
    expect(must(['image', 'inspect', '--format', '{{json .Config.Labels}}', 'from-stdin']).trim()).toBe(
      '{"built.by":"e2e"}',
    );
    // ONBUILD triggers run in the image built FROM this one, and are not inherited further.
    must(
      ['build', '-q', '--network', 'none', '-t', 'with-trigger', '-'],
      'FROM busybox\nONBUILD RUN echo triggered > /onbuild\n',
    );
    must(['build', '-q', '--network', 'none', '-t', 'triggered', '-'], 'FROM with-trigger\nENV CHILD=1\n');
    expect(must(['run', '--rm', '--network', 'none', 'triggered', 'cat', '/onbuild'])).toBe('triggered\n');
    expect(must(['image', 'inspect', '--format', '{{json .Config.OnBuild}}', 'triggered']).trim()).toBe(
      'null',
    );
    // A Dockerfile alone on stdin: an empty context.
    const alone = must(
      ['build', '-q', '--network', 'none', '-t', 'alone', '-'],
      'FROM busybox\nENV ALONE=1\n',
    ).trim();
    expect(alone).toMatch(/^sha256:/);
  });

  it('ADDs a file from a URL as it is, mode 0600, with the time the server gives', async () => {
    // A server of its own (a child process: the test's koker runs synchronously).
    const server = spawn(
      process.execPath,
      [
        '-e',
        `require('http').createServer((q, r) => { r.setHeader('Last-Modified', 'Tue, 01 Oct 2024 10:00:00 GMT'); r.end(q.url === '/files/data.tar.gz' ? 'not unpacked' : 'x'); }).listen(0, '127.0.0.1', function () { console.log(this.address().port); });`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const port = await new Promise<string>((resolve) =>
        server.stdout.once('data', (c: Buffer) => resolve(c.toString().trim())),
      );
      const dir = join(work, 'url');
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, 'Dockerfile'),
        `FROM busybox\nADD http://127.0.0.1:${port}/files/data.tar.gz /downloads/\nADD --checksum=${sha256Of('x')} http://127.0.0.1:${port}/other /named\n`,
      );
      must(['build', '-q', '--network', 'none', '-t', 'with-url', dir]);
      const seen = must([
        'run',
        '--rm',
        '--network',
        'none',
        'with-url',
        'sh',
        '-c',
        "stat -c '%a %u %Y %n' /downloads/data.tar.gz /named && cat /downloads/data.tar.gz",
      ]);
      expect(seen).toBe(`600 0 1727776800 /downloads/data.tar.gz\n600 0 1727776800 /named\nnot unpacked`);
      // A download whose digest is not the one --checksum names fails the step, as BuildKit's.
      writeFileSync(
        join(dir, 'Dockerfile'),
        `FROM busybox\nADD --checksum=${sha256Of('y')} http://127.0.0.1:${port}/other /named\n`,
      );
      const mismatch = koker(['build', '-q', '--network', 'none', dir]);
      expect(mismatch.code).not.toBe(0);
      expect(mismatch.stderr).toContain(
        `digest mismatch for http://127.0.0.1:${port}/other: expected ${sha256Of('y')}, downloaded ${sha256Of('x')}`,
      );
      writeFileSync(
        join(dir, 'Dockerfile'),
        `FROM busybox\nCOPY . /\nADD --checksum=${sha256Of('x')} Dockerfile /\n`,
      );
      expect(koker(['build', '-q', '--network', 'none', dir]).stderr).toContain(
        "checksum can't be specified for non-HTTP(S) sources",
      );
    } finally {
      server.kill();
    }
  });

  it('mounts caches, tmpfs, secrets and binds of the context or a stage into RUN, none of them in the layer', () => {
    const dir = join(work, 'mounts');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'input.txt'), 'from the context\n');
    writeFileSync(
      join(dir, 'Dockerfile'),
      [
        'FROM busybox AS tools',
        'RUN mkdir /tools && echo tool > /tools/t',
        'FROM busybox',
        'ARG CACHE=c1',
        "RUN --mount=type=cache,target=/cache,id=$CACHE,uid=7,gid=8,mode=0750 stat -c '%u %g %a' /cache > /cache-owner && echo run >> /cache/runs && wc -l < /cache/runs > /count",
        "RUN --mount=type=tmpfs,target=/scratch,size=1m echo t > /scratch/x && grep -c ' /scratch tmpfs ' /proc/mounts > /tmpfs-seen",
        'RUN --mount=type=bind,target=/ctx cat /ctx/input.txt > /from-context && (touch /ctx/new 2>/dev/null && echo writable || echo read-only) > /ctx-mode',
        'RUN --mount=type=bind,from=tools,source=/tools,target=/t,rw cat /t/t > /from-stage && echo x > /t/dropped',
        'RUN --mount=type=cache,target=/seeded,from=tools,source=/tools cat /seeded/t > /seeded-copy',
        "RUN --mount=type=secret,id=token,uid=7 stat -c '%u %a' /run/secrets/token > /secret-seen && wc -c < /run/secrets/token >> /secret-seen",
        'RUN --mount=type=secret,id=absent true',
      ].join('\n') + '\n',
    );
    // A required secret the build was not given fails the step.
    writeFileSync(
      join(dir, 'Dockerfile.required'),
      'FROM busybox\nRUN --mount=type=secret,id=absent,required true\n',
    );
    expect(
      koker(['build', '-q', '--network', 'none', '-f', join(dir, 'Dockerfile.required'), dir]).stderr,
    ).toContain('secret absent not found');
    rmSync(join(dir, 'Dockerfile.required'));
    writeFileSync(join(work, 'token'), 'sesame');
    const secret = ['--secret', `id=token,src=${join(work, 'token')}`];
    must(['build', '-q', '--network', 'none', ...secret, '-t', 'mounts:1', dir]);
    const show = (tag: string) =>
      must([
        'run',
        '--rm',
        '--network',
        'none',
        tag,
        'sh',
        '-c',
        'cat /cache-owner /count /tmpfs-seen /from-context /ctx-mode /from-stage /seeded-copy /secret-seen; ls -A /cache /scratch /ctx /t /seeded /run/secrets 2>&1 | grep -v "No such file" || true',
      ]);
    // Every mount did its part, and none of them (nor the secret) is in the image.
    expect(show('mounts:1')).toBe('7 8 750\n1\n1\nfrom the context\nread-only\ntool\ntool\n7 400\n6\n');
    // Nothing written through a read-only bind or a writable one reaches the context or the stage.
    expect(spawnSync('ls', ['-A', dir], { encoding: 'utf8' }).stdout).toBe('Dockerfile\ninput.txt\n');
    // The cache outlives the build: a rebuild without the step cache runs on the same directory.
    must(['build', '-q', '--no-cache', '--network', 'none', ...secret, '-t', 'mounts:2', dir]);
    expect(show('mounts:2').split('\n')[1]).toBe('2');
    // Another id is another cache.
    must(['build', '-q', '--network', 'none', ...secret, '--build-arg', 'CACHE=c2', '-t', 'mounts:3', dir]);
    expect(show('mounts:3').split('\n')[1]).toBe('1');
    // A bind of the context is part of the step's cache key: a changed file runs the step again.
    writeFileSync(join(dir, 'input.txt'), 'changed\n');
    must(['build', '-q', '--network', 'none', ...secret, '-t', 'mounts:4', dir]);
    expect(show('mounts:4').split('\n')[3]).toBe('changed');
  });

  it('builds from a Git repository: the ref and the directory after #, -f inside it', async () => {
    const repo = join(work, 'git', 'repo');
    mkdirSync(join(repo, 'app'), { recursive: true });
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@koker.test', ...args], { cwd: repo });
    git('init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'app', 'Dockerfile'), 'FROM busybox\nCOPY hello /hello\n');
    writeFileSync(join(repo, 'app', 'Other.Dockerfile'), 'FROM busybox\nCOPY hello /other\n');
    writeFileSync(join(repo, 'app', 'hello'), 'v1\n');
    git('add', '.');
    git('commit', '-q', '-m', 'v1');
    git('tag', 'v1');
    writeFileSync(join(repo, 'app', 'hello'), 'v2\n');
    git('commit', '-q', '-a', '-m', 'v2');
    const daemon = await startGitDaemon(join(work, 'git'));
    try {
      const url = daemon.url('repo');
      must(['build', '-q', '--network', 'none', '-t', 'git:v1', `${url}#v1:app`]);
      expect(cat('git:v1', '/hello')).toBe('v1\n');
      must(['build', '-q', '--network', 'none', '-t', 'git:head', `${url}#:app`]);
      expect(cat('git:head', '/hello')).toBe('v2\n');
      must([
        'build',
        '-q',
        '--network',
        'none',
        '-f',
        'Other.Dockerfile',
        '-t',
        'git:other',
        `${url}#main:app`,
      ]);
      expect(cat('git:other', '/other')).toBe('v2\n');
      const missing = koker(['build', '-q', '--network', 'none', `${url}#no-such-ref`]);
      expect(missing.code).toBe(125);
      expect(missing.stderr).toContain('unable to prepare context: git fetch failed');
      expect(koker(['build', '-q', '--network', 'none', `${url}#main:../..`]).stderr).toContain(
        'the Dockerfile',
      );
    } finally {
      daemon.stop();
    }
  });

  it('builds from an http URL: a compressed tar of the context, or a Dockerfile alone', async () => {
    const context = join(work, 'url-context');
    const served = join(work, 'served');
    mkdirSync(context, { recursive: true });
    mkdirSync(served, { recursive: true });
    writeFileSync(join(context, 'Dockerfile'), 'FROM busybox\nCOPY hello /hello\n');
    writeFileSync(join(context, 'Other.Dockerfile'), 'FROM busybox\nCOPY hello /other\n');
    writeFileSync(join(context, 'hello'), 'from a tarball\n');
    execFileSync('tar', ['-czf', join(served, 'context.tar.gz'), '-C', context, '.']);
    writeFileSync(join(served, 'Dockerfile'), 'FROM busybox\nENV FROM_URL=yes\n');
    const server = await serveFiles(served);
    try {
      must(['build', '-q', '--network', 'none', '-t', 'url:tar', `${server.url}/context.tar.gz`]);
      expect(cat('url:tar', '/hello')).toBe('from a tarball\n');
      // -f names a file of the downloaded context.
      const build = (...args: string[]) => must(['build', '-q', '--network', 'none', ...args]);
      build('-f', 'Other.Dockerfile', '-t', 'url:other', `${server.url}/context.tar.gz`);
      expect(cat('url:other', '/other')).toBe('from a tarball\n');
      must(['build', '-q', '--network', 'none', '-t', 'url:file', `${server.url}/Dockerfile`]);
      expect(must(['image', 'inspect', '--format', '{{json .Config.Env}}', 'url:file'])).toContain(
        'FROM_URL=yes',
      );
      const missing = koker(['build', '-q', '--network', 'none', `${server.url}/nothing.tar`]);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toContain(`cannot download ${server.url}/nothing.tar: HTTP 404`);
    } finally {
      server.stop();
    }
  });

  it('fails as Docker does: a failing RUN (exit 1), an unknown instruction, a missing file, a URL that does not answer', () => {
    const dir = join(work, 'failing');
    mkdirSync(dir, { recursive: true });
    const build = (dockerfile: string) => {
      writeFileSync(join(dir, 'Dockerfile'), dockerfile);
      return koker(['build', '--network', 'none', dir]);
    };
    const failed = build('FROM busybox\nRUN exit 3\n');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("The command '/bin/sh -c exit 3' returned a non-zero code: 3");
    expect(build('FROM busybox\nFROB x\n').stderr).toContain('unknown instruction: FROB');
    expect(build('FROM busybox\nCOPY missing /\n').stderr).toContain('missing');
    expect(build('FROM busybox\nADD http://127.0.0.1:9/x /x\n').stderr).toContain(
      'cannot download http://127.0.0.1:9/x',
    );
    // No build container is left behind.
    expect(must(['ps', '-aq'])).toBe('');
  });
});
