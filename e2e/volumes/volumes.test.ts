import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  firstLine,
  startContainerSuite,
  waitFor,
  type ContainerSuite,
} from '../containers/helpers/container-suite.js';

// -v, --mount, --tmpfs, --volumes-from and `koker volume`, through the real CLI and kernel.
let suite: ContainerSuite;
let host: string; // a directory of the test's on the host
beforeAll(async () => {
  suite = await startContainerSuite();
  host = mkdtempSync(join(tmpdir(), 'koker-e2e-volumes-host-'));
});
afterAll(async () => {
  rmSync(host, { recursive: true, force: true });
  await suite?.stop();
  expect(suite?.leaks() ?? []).toEqual([]);
});

const run = (args: readonly string[]) => suite.koker(['run', '--rm', '--network', 'none', ...args]);
const out = async (args: readonly string[]) => {
  const result = await run(args);
  if (result.code !== 0) throw new Error(`run ${args.join(' ')} exited ${result.code}:\n${result.stderr}`);
  return result.stdout;
};
const fresh = (name: string) => {
  const dir = join(host, name);
  mkdirSync(dir, { recursive: true });
  return dir;
};
/** Waits until a detached container has ended (its record says exited). */
const ended = (id: string) =>
  waitFor(async () => {
    const [doc] = JSON.parse(await suite.must(['inspect', id])) as [{ State: { Running: boolean } }];
    return !doc.State.Running;
  }, `container ${id} to end`);
const volumeNames = async () => (await suite.must(['volume', 'ls', '-q'])).split('\n').filter(Boolean);

describe('bind mounts', () => {
  it('-v binds a host directory read-write, and :ro read-only', async () => {
    const dir = fresh('rw');
    writeFileSync(join(dir, 'from-host'), 'host\n');
    expect(
      await out([
        '-v',
        `${dir}:/data`,
        suite.image,
        'sh',
        '-c',
        'cat /data/from-host; echo ctr > /data/from-ctr',
      ]),
    ).toBe('host\n');
    expect(readFileSync(join(dir, 'from-ctr'), 'utf8')).toBe('ctr\n');
    const ro = await run(['-v', `${dir}:/data:ro`, suite.image, 'sh', '-c', 'echo x > /data/nope']);
    expect(ro.code).not.toBe(0);
    expect(ro.stderr).toContain('Read-only file system');
    expect(existsSync(join(dir, 'nope'))).toBe(false);
    const mount = await run([
      '--mount',
      `type=bind,src=${dir},dst=/data,readonly`,
      suite.image,
      'touch',
      '/data/nope',
    ]);
    expect(mount.code).not.toBe(0);
  });

  it('binds a single file, and shows each mount as a debug step', async () => {
    const file = join(fresh('file'), 'motd');
    writeFileSync(file, 'hello from a file\n');
    const result = await suite.koker([
      '-D',
      'run',
      '--rm',
      '--network',
      'none',
      '-v',
      `${file}:/etc/motd:ro`,
      suite.image,
      'cat',
      '/etc/motd',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('hello from a file\n');
    expect(result.stderr).toMatch(new RegExp(`Mount target .*source=${file} target=/etc/motd`));
  });

  it('-v makes a missing host directory; --mount refuses it with exit 125', async () => {
    const missing = join(host, 'missing', 'deep');
    expect((await run(['-v', `${missing}:/data`, suite.image, 'true'])).code).toBe(0);
    expect(statSync(missing).isDirectory()).toBe(true);
    const refused = await run([
      '--mount',
      `type=bind,source=${join(host, 'absent')},target=/data`,
      suite.image,
      'true',
    ]);
    expect(refused.code).toBe(125);
    expect(refused.stderr).toContain('bind source path does not exist');
    expect(existsSync(join(host, 'absent'))).toBe(false);
  });

  it('refuses bad specs with exit 125, naming the flag', async () => {
    for (const [flag, spec, says] of [
      ['-v', './relative:/data', 'invalid characters for a local volume name'],
      ['-v', '/x:data', 'must be absolute'],
      ['-v', '/x:/data:rw,ro', 'more than one of ro and rw'],
      ['--mount', 'type=bind,target=/data', 'a bind needs a source'],
      ['--mount', 'type=tmpfs,target=/t,volume-nocopy', 'cannot mix volume-nocopy with type=tmpfs'],
      ['--tmpfs', '/t:bogus=1', 'unknown tmpfs option'],
    ] as const) {
      const result = await run([flag, spec, suite.image, 'true']);
      expect(result.code, `${flag} ${spec}`).toBe(125);
      expect(result.stderr).toContain(flag === '-v' ? '-v/--volume' : flag);
      expect(result.stderr).toContain(says);
    }
  });

  it('rslave: a mount the host makes below the source later shows in the container; rprivate: not', async () => {
    const dir = fresh('propagation');
    execFileSync('mount', ['--bind', dir, dir]);
    execFileSync('mount', ['--make-shared', dir]);
    const started: string[] = [];
    try {
      for (const mode of ['rslave', 'rprivate']) {
        started.push(
          firstLine(
            await suite.must([
              'run',
              '-d',
              '--network',
              'none',
              '-v',
              `${dir}:/data:${mode}`,
              suite.image,
              'sleep',
              '300',
            ]),
          ),
        );
      }
      mkdirSync(join(dir, 'sub'));
      execFileSync('mount', ['-t', 'tmpfs', 'koker-e2e-propagation', join(dir, 'sub')]);
      writeFileSync(join(dir, 'sub', 'later'), 'mounted after the start\n');
      const [slave, priv] = started as [string, string];
      expect((await suite.koker(['exec', slave, 'cat', '/data/sub/later'])).stdout).toBe(
        'mounted after the start\n',
      );
      expect((await suite.koker(['exec', priv, 'cat', '/data/sub/later'])).code).not.toBe(0);
      const inspected = JSON.parse(await suite.must(['inspect', slave])) as [
        { Mounts: { Propagation: string }[] },
      ];
      expect(inspected[0].Mounts[0]?.Propagation).toBe('rslave');
    } finally {
      if (started.length > 0) await suite.koker(['rm', '-f', ...started]);
      execFileSync('umount', ['-R', dir]);
    }
  });
  it("rshared: a mount the container makes below the target shows on the host, and the host's in it", async () => {
    const dir = fresh('rshared');
    execFileSync('mount', ['--bind', dir, dir]);
    execFileSync('mount', ['--make-shared', dir]);
    mkdirSync(join(dir, 'from-ctr'), { recursive: true });
    mkdirSync(join(dir, 'from-host'), { recursive: true });
    let id = '';
    try {
      id = firstLine(
        await suite.must([
          'run',
          '-d',
          '--network',
          'none',
          '--cap-add',
          'SYS_ADMIN',
          '--mount',
          `type=bind,src=${dir},dst=/data,bind-propagation=rshared`,
          suite.image,
          'sh',
          '-c',
          'mount -t tmpfs koker-e2e-rshared /data/from-ctr && echo inside > /data/from-ctr/made && sleep 300',
        ]),
      );
      await waitFor(
        () => existsSync(join(dir, 'from-ctr', 'made')),
        "the container's mount to reach the host",
      );
      expect(readFileSync(join(dir, 'from-ctr', 'made'), 'utf8')).toBe('inside\n');
      execFileSync('mount', ['-t', 'tmpfs', 'koker-e2e-rshared-host', join(dir, 'from-host')]);
      writeFileSync(join(dir, 'from-host', 'later'), 'host\n');
      expect((await suite.koker(['exec', id, 'cat', '/data/from-host/later'])).stdout).toBe('host\n');
      // koker's own mounts (the root, /proc, /etc/hosts...) never reach the host.
      const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
      expect(mounts).not.toContain(id);
    } finally {
      if (id) await suite.koker(['rm', '-f', id]);
      execFileSync('umount', ['-R', dir]);
    }
  });

  it("shared and slave propagations need a shared host mount: refused with Docker's message", async () => {
    const dir = fresh('private-source');
    execFileSync('mount', ['--bind', dir, dir]);
    execFileSync('mount', ['--make-private', dir]);
    try {
      for (const mode of ['rshared', 'slave']) {
        const result = await run(['-v', `${dir}:/data:${mode}`, suite.image, 'true']);
        expect(result.code).toBe(125);
        expect(result.stderr).toContain(
          `path ${dir} is mounted on ${dir} but it is not a ${mode === 'rshared' ? 'shared' : 'shared or slave'} mount`,
        );
      }
    } finally {
      execFileSync('umount', [dir]);
    }
  });
});

describe('named and anonymous volumes', () => {
  it('a named volume outlives its containers; inspect shows it in Docker shape', async () => {
    const first = firstLine(
      await suite.must([
        'run',
        '-d',
        '--network',
        'none',
        '--name',
        'writer',
        '-v',
        'keep:/data',
        suite.image,
        'sh',
        '-c',
        'echo kept > /data/f',
      ]),
    );
    await ended(first);
    const [doc] = JSON.parse(await suite.must(['inspect', 'writer'])) as [
      { Mounts: Record<string, unknown>[] },
    ];
    expect(doc.Mounts).toEqual([
      {
        Type: 'volume',
        Name: 'keep',
        Source: join(suite.root, 'volumes', 'keep', '_data'),
        Destination: '/data',
        Driver: 'local',
        Mode: '',
        RW: true,
        Propagation: '',
      },
    ]);
    // In use by a stopped container: refused, even with -f.
    const refused = await suite.koker(['volume', 'rm', '-f', 'keep']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('volume is in use');
    await suite.must(['rm', '-f', 'writer']);
    expect(await volumeNames()).toContain('keep');
    expect(await out(['-v', 'keep:/data', suite.image, 'cat', '/data/f'])).toBe('kept\n');
    const [volume] = JSON.parse(await suite.must(['volume', 'inspect', 'keep'])) as [Record<string, unknown>];
    expect(volume).toMatchObject({
      Name: 'keep',
      Driver: 'local',
      Scope: 'local',
      Mountpoint: join(suite.root, 'volumes', 'keep', '_data'),
    });
    expect(await suite.must(['volume', 'rm', 'keep'])).toBe('keep\n');
    expect(await volumeNames()).not.toContain('keep');
  });

  it("copies the image's /etc into a new volume (owners and modes kept), not with nocopy", async () => {
    expect(await out(['-v', 'etc:/etc', suite.image, 'sh', '-c', 'ls /etc | tr "\\n" " "'])).toContain(
      'group hostname hosts passwd resolv.conf',
    );
    const data = join(suite.root, 'volumes', 'etc', '_data');
    expect(readFileSync(join(data, 'passwd'), 'utf8')).toContain('app:x:1000:1000');
    expect(statSync(join(data, 'passwd')).mode & 0o7777).toBe(0o644);
    // Not empty any more: a second container's changes stay, nothing is copied again.
    await out(['-v', 'etc:/etc', suite.image, 'rm', '/etc/group']);
    expect(existsSync(join(data, 'group'))).toBe(false);
    expect(
      await out(['-v', 'etc2:/etc:nocopy', suite.image, 'ls', '/etc/passwd']).catch((e: Error) => e.message),
    ).toContain('No such file');
    await suite.must(['volume', 'rm', 'etc', 'etc2']);
  });

  it('anonymous volumes go with rm -v and with --rm; a named one stays', async () => {
    const before = await volumeNames();
    const id = firstLine(
      await suite.must([
        'run',
        '-d',
        '--network',
        'none',
        '-v',
        '/anon',
        '-v',
        'named:/named',
        suite.image,
        'true',
      ]),
    );
    const [doc] = JSON.parse(await suite.must(['inspect', id])) as [
      { Mounts: { Name: string; Destination: string }[] },
    ];
    const anonymous = doc.Mounts.find((m) => m.Destination === '/anon')?.Name ?? '';
    expect(anonymous).toMatch(/^[0-9a-f]{64}$/);
    expect(await volumeNames()).toContain(anonymous);
    await suite.must(['rm', '-f', '-v', id]);
    expect(await volumeNames()).not.toContain(anonymous);
    expect(await volumeNames()).toContain('named');
    await out(['-v', '/anon', suite.image, 'touch', '/anon/x']);
    expect((await volumeNames()).filter((v) => !before.includes(v))).toEqual(['named']);
    await suite.must(['volume', 'rm', 'named']);
  });

  it("an image's VOLUME is an anonymous volume filled from the image", async () => {
    const { derivedImageArchive } = await import('../fixtures/derived-image.js');
    const image = await derivedImageArchive({
      tag: 'koker-e2e-volume-image:1',
      entries: [
        { type: 'dir', name: 'vol', mode: 0o750, uid: 1000, gid: 1000 },
        { type: 'file', name: 'vol/seed', content: 'from the image\n', uid: 1000, gid: 1000 },
      ],
      volumes: ['/vol'],
    });
    try {
      await suite.must(['load', '-i', image.archive]);
      const id = firstLine(
        await suite.must([
          'run',
          '-d',
          '--network',
          'none',
          'koker-e2e-volume-image:1',
          'sh',
          '-c',
          'stat -c "%u:%g %a" /vol; cat /vol/seed',
        ]),
      );
      await ended(id);
      expect((await suite.must(['logs', id])).split('\n')).toEqual(['1000:1000 750', 'from the image', '']);
      const [doc] = JSON.parse(await suite.must(['inspect', id])) as [
        { Mounts: { Type: string; Destination: string }[] },
      ];
      expect(doc.Mounts.map((m) => [m.Type, m.Destination])).toEqual([['volume', '/vol']]);
      await suite.must(['rm', '-v', id]);
    } finally {
      image.remove();
      await suite.koker(['rmi', 'koker-e2e-volume-image:1']);
    }
  });

  it('volume create/ls with labels and filters; prune takes unused anonymous volumes, -a the rest', async () => {
    await suite.must(['volume', 'create', '--label', 'team=a', 'labelled']);
    const anonymous = firstLine(await suite.must(['volume', 'create']));
    const listed = await suite.must(['volume', 'ls']);
    expect(listed.split('\n')[0]).toMatch(/^DRIVER\s+VOLUME NAME$/);
    expect(listed).toMatch(/local\s+labelled/);
    expect(await suite.must(['volume', 'ls', '-q', '--filter', 'label=team=a'])).toBe('labelled\n');
    expect(await suite.must(['volume', 'ls', '-q', '--filter', 'name=label'])).toBe('labelled\n');
    expect(await suite.must(['volume', 'ls', '-q', '--filter', 'dangling=false'])).toBe('');
    // `volume create` without a name is not an anonymous volume of a container: prune -a takes it.
    expect(await suite.must(['volume', 'prune', '-f'])).toContain('Total reclaimed space');
    expect(await volumeNames()).toEqual(expect.arrayContaining(['labelled', anonymous]));
    const pruned = await suite.must(['volume', 'prune', '-f', '-a']);
    expect(pruned).toContain('Deleted Volumes:');
    expect(await volumeNames()).toEqual([]);
  });

  it("the local driver's --opt: a tmpfs, and a bind of a host path, mounted in the container only", async () => {
    await suite.must([
      'volume',
      'create',
      '--opt',
      'type=tmpfs',
      '--opt',
      'device=tmpfs',
      '--opt',
      'o=size=1m,uid=1000',
      'tv',
    ]);
    expect(await out(['-v', 'tv:/t', suite.image, 'grep', ' /t ', '/proc/mounts'])).toMatch(
      /^tmpfs \/t tmpfs rw,.*size=1024k.*uid=1000/,
    );
    const dir = fresh('opt-bind');
    writeFileSync(join(dir, 'there'), 'bound by the driver\n');
    await suite.must(['volume', 'create', '-o', 'type=none', '-o', 'o=bind', '-o', `device=${dir}`, 'bv']);
    expect(await out(['-v', 'bv:/b', suite.image, 'cat', '/b/there'])).toBe('bound by the driver\n');
    const [volume] = JSON.parse(await suite.must(['volume', 'inspect', 'bv'])) as [
      { Options: Record<string, string> },
    ];
    expect(volume.Options).toEqual({ type: 'none', o: 'bind', device: dir });
    const bad = await suite.koker(['volume', 'create', '--opt', 'size=1g', 'nope']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('the local driver takes type, device and o');
    await suite.must(['volume', 'rm', 'tv', 'bv']);
    expect(readFileSync(join(dir, 'there'), 'utf8')).toBe('bound by the driver\n');
  });

  it('system prune --volumes removes the anonymous volumes no container uses', async () => {
    const id = firstLine(
      await suite.must(['run', '-d', '--network', 'none', '-v', '/scratch', suite.image, 'true']),
    );
    const [doc] = JSON.parse(await suite.must(['inspect', id])) as [{ Mounts: { Name: string }[] }];
    const name = doc.Mounts[0]?.Name ?? '';
    await suite.must(['volume', 'create', 'stays']);
    await ended(id);
    const pruned = await suite.must(['system', 'prune', '-f', '--volumes']);
    expect(pruned).toContain('Deleted Volumes:');
    expect(pruned).toContain(name);
    expect(await volumeNames()).toEqual(['stays']);
    await suite.must(['volume', 'rm', 'stays']);
  });
});

describe('tmpfs, read-only roots and --volumes-from', () => {
  it('--tmpfs with size and mode', async () => {
    const text = await out([
      '--tmpfs',
      '/scratch:size=1m,mode=1770',
      suite.image,
      'sh',
      '-c',
      'stat -c %a /scratch; grep " /scratch " /proc/mounts',
    ]);
    const [mode, mount] = text.split('\n');
    expect(mode).toBe('1770');
    expect(mount).toMatch(/^tmpfs \/scratch tmpfs rw,nosuid,nodev,noexec,.*size=1024k,mode=1770/);
    const viaMount = await out([
      '--mount',
      'type=tmpfs,dst=/t,tmpfs-size=2m,tmpfs-mode=700',
      suite.image,
      'sh',
      '-c',
      'stat -c %a /t; grep " /t " /proc/mounts',
    ]);
    expect(viaMount).toMatch(/^700\n.*size=2048k,mode=700/);
  });

  it('--read-only with --tmpfs /tmp: only /tmp is writable', async () => {
    const result = await run([
      '--read-only',
      '--tmpfs',
      '/tmp',
      suite.image,
      'sh',
      '-c',
      'touch /tmp/ok && echo tmp-ok; touch /nope',
    ]);
    expect(result.stdout).toBe('tmp-ok\n');
    expect(result.stderr).toContain('Read-only file system');
  });

  it("--volumes-from mounts another container's volumes and binds, :ro read-only", async () => {
    const dir = fresh('from');
    const source = firstLine(
      await suite.must([
        'run',
        '-d',
        '--network',
        'none',
        '--name',
        'source',
        '-v',
        'shared:/shared',
        '-v',
        `${dir}:/bound`,
        suite.image,
        'sh',
        '-c',
        'echo one > /shared/f',
      ]),
    );
    await ended(source);
    expect(
      await out(['--volumes-from', 'source', suite.image, 'sh', '-c', 'cat /shared/f; echo two > /bound/g']),
    ).toBe('one\n');
    expect(readFileSync(join(dir, 'g'), 'utf8')).toBe('two\n');
    const ro = await run(['--volumes-from', 'source:ro', suite.image, 'touch', '/shared/nope']);
    expect(ro.code).not.toBe(0);
    await suite.must(['rm', source]);
    await suite.must(['volume', 'rm', 'shared']);
  });
});

describe('concurrent runs and removals on one volume', () => {
  it('runs that create one new volume at once fill it from the image once, each seeing it whole', async () => {
    const expected = await out([suite.image, 'ls', '-lan', '/bin']);
    expect(expected.split('\n').length).toBeGreaterThan(20);
    const runs = await Promise.all(
      Array.from({ length: 4 }, () => run(['-v', 'raced:/bin', suite.image, '/bin/ls', '-lan', '/bin'])),
    );
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    // Every container saw what the image has at /etc, neither empty nor half copied.
    for (const result of runs) expect(result.stdout).toBe(expected);
    expect((await volumeNames()).filter((n) => n === 'raced')).toEqual(['raced']);
    await suite.must(['volume', 'rm', 'raced']);
  });

  it('volume rm while a run holds a new volume not yet in use: waits, then refuses it as in use', async () => {
    // The run pauses after it made the volume, before its container is recorded as the user.
    const starting = suite.koker(
      [
        'run',
        '-d',
        '--network',
        'none',
        '-v',
        'contested:/data',
        suite.image,
        'sh',
        '-c',
        'echo alive > /data/f; sleep 300',
      ],
      { env: { KOKER_PAUSE_AT: 'run:mounts:1500' } },
    );
    await waitFor(async () => (await volumeNames()).includes('contested'), 'the run to make its volume');
    const removed = await suite.koker(['volume', 'rm', 'contested']);
    const started = await starting;
    expect(started.code).toBe(0);
    const id = firstLine(started.stdout);
    try {
      expect(removed.code).toBe(1);
      expect(removed.stderr).toContain('volume is in use');
      const [volume] = JSON.parse(await suite.must(['volume', 'inspect', 'contested'])) as [
        { Mountpoint: string },
      ];
      await waitFor(() => existsSync(join(volume.Mountpoint, 'f')), 'the container to write its volume');
      expect(readFileSync(join(volume.Mountpoint, 'f'), 'utf8')).toBe('alive\n');
    } finally {
      await suite.koker(['rm', '-f', id]);
    }
    await suite.must(['volume', 'rm', 'contested']);
  });
});
