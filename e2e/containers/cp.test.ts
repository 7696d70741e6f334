import { execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KOKER_BIN } from '../helpers/koker.js';
import { startFilesSuite, treeDigest, type FilesSuite } from './helpers/files-suite.js';

// `koker cp`, `diff` and `export` through the real CLI, on stopped and running containers, and
// against an image and a container that plant symlinks to reach the host.
let suite: FilesSuite;
let etcBefore: string;
let canaryBefore: string;
beforeAll(async () => {
  suite = await startFilesSuite();
  etcBefore = treeDigest('/etc');
  canaryBefore = treeDigest(suite.canary);
});
afterAll(async () => {
  await suite?.stop();
  expect(suite?.leaks() ?? []).toEqual([]);
});

/** A fresh host directory under the suite's work directory. */
function hostDir(name: string): string {
  const dir = join(suite.work, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Runs `koker cp` with stdin from a file or stdout to a buffer (tar streams). */
function kokerBinary(args: string[], input?: Buffer): { code: number; stdout: Buffer; stderr: string } {
  try {
    const stdout = execFileSync(KOKER_BIN, ['--root', suite.root, ...args], {
      input: input ?? Buffer.alloc(0),
      stdio: ['pipe', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr: '' };
  } catch (error) {
    const failed = error as { status: number; stdout: Buffer; stderr: Buffer };
    return { code: failed.status, stdout: failed.stdout, stderr: failed.stderr.toString() };
  }
}

/** A stopped container that made some changes. */
async function stoppedContainer(name: string, script: string, image = 'busybox'): Promise<void> {
  await suite.must(['run', '--name', name, '--network', 'none', image, 'sh', '-c', script]);
}

describe('koker cp', () => {
  it('copies files and directories both ways on a stopped container, with modes, and owners with -a', async () => {
    await stoppedContainer(
      'stopped',
      'mkdir -p /data/sub && echo inside > /data/sub/f && chown 1234:99 /data/sub/f && chmod 640 /data/sub/f',
    );
    const src = hostDir('src');
    mkdirSync(join(src, 'tree/deep'), { recursive: true });
    writeFileSync(join(src, 'tree/deep/file'), 'from host\n');
    execFileSync('chown', ['4321:77', join(src, 'tree/deep/file')]);
    execFileSync('chmod', ['4750', join(src, 'tree/deep/file')]);
    execFileSync('ln', ['-s', 'file', join(src, 'tree/deep/link')]);

    // Into the container: root-owned without -a (Docker's documented behaviour), modes kept.
    await suite.must(['cp', join(src, 'tree'), 'stopped:/tmp/']);
    await suite.must(['cp', '-a', join(src, 'tree'), 'stopped:/tmp/kept']);
    await suite.must(['cp', `${join(src, 'tree')}/.`, 'stopped:/tmp/contents']);
    await suite.must(['cp', join(src, 'tree/deep/file'), 'stopped:/tmp/renamed']);

    // Out again: -a keeps the container's owners, else the files are the caller's.
    const out = hostDir('out');
    await suite.must(['cp', 'stopped:/tmp', out]);
    await suite.must(['cp', '-a', 'stopped:/tmp', join(out, 'archived')]);
    await suite.must(['cp', '-a', 'stopped:/data/sub/f', join(out, 'f')]);
    const lst = (path: string) => {
      const s = lstatSync(join(out, path));
      return [s.uid, s.gid, (s.mode & 0o7777).toString(8)];
    };
    expect(readFileSync(join(out, 'tmp/tree/deep/file'), 'utf8')).toBe('from host\n');
    expect(lst('tmp/tree/deep/file')).toEqual([0, 0, '4750']);
    expect(lst('archived/tree/deep/file')).toEqual([0, 0, '4750']); // root in the container
    expect(lst('archived/kept/deep/file')).toEqual([4321, 77, '4750']);
    expect(lstatSync(join(out, 'tmp/tree/deep/link')).isSymbolicLink()).toBe(true);
    expect(readdirSync(join(out, 'tmp/contents'))).toEqual(['deep']);
    expect(readFileSync(join(out, 'tmp/renamed'), 'utf8')).toBe('from host\n');
    expect(lst('f')).toEqual([1234, 99, '640']);
    expect(readFileSync(join(out, 'f'), 'utf8')).toBe('inside\n');
  });

  it("sees a stopped container's volumes and binds, both ways, and leaves no mount behind", async () => {
    const bind = hostDir('stopped-bind');
    writeFileSync(join(bind, 'on-host'), 'bound\n');
    await suite.must([
      'run',
      '--name',
      'stopped-mounts',
      '--network',
      'none',
      '-v',
      'cp-stopped-vol:/vol',
      '-v',
      `${bind}:/bound`,
      'busybox',
      'sh',
      '-c',
      'echo in-volume > /vol/made',
    ]);
    const out = hostDir('stopped-mounts-out');
    await suite.must(['cp', 'stopped-mounts:/vol/made', join(out, 'made')]);
    await suite.must(['cp', 'stopped-mounts:/bound/on-host', join(out, 'on-host')]);
    expect(readFileSync(join(out, 'made'), 'utf8')).toBe('in-volume\n');
    expect(readFileSync(join(out, 'on-host'), 'utf8')).toBe('bound\n');
    await suite.must(['cp', join(out, 'made'), 'stopped-mounts:/bound/copied-in']);
    await suite.must(['cp', join(out, 'on-host'), 'stopped-mounts:/vol/copied-in']);
    expect(readFileSync(join(bind, 'copied-in'), 'utf8')).toBe('in-volume\n');
    // The next container on the volume sees what cp wrote into it.
    const seen = await suite.must([
      'run',
      '--rm',
      '--network',
      'none',
      '-v',
      'cp-stopped-vol:/vol',
      'busybox',
      'cat',
      '/vol/copied-in',
    ]);
    expect(seen).toBe('bound\n');
    // The volume is in use by the stopped container only, not by a leftover of the copy.
    await suite.must(['rm', 'stopped-mounts']);
    await suite.must(['volume', 'rm', 'cp-stopped-vol']);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(suite.root);
  });

  it("follows Docker's destination rules and says what Docker says", async () => {
    const out = hostDir('rules');
    writeFileSync(join(out, 'afile'), 'x');
    const fail = async (args: string[]) => {
      const result = await suite.koker(args);
      expect(result.code).not.toBe(0);
      return result.stderr;
    };
    expect(await fail(['cp', 'stopped:/nope', out])).toContain(
      'Could not find the file /nope in container stopped',
    );
    expect(await fail(['cp', 'stopped:/data', join(out, 'afile')])).toContain('cannot copy directory');
    expect(await fail(['cp', 'stopped:/data/sub/f', join(out, 'missing/')])).toContain('no such directory');
    expect(await fail(['cp', join(out, 'nope'), 'stopped:/tmp'])).toContain(
      `lstat ${join(out, 'nope')}: no such file or directory`,
    );
    expect(await fail(['cp', 'stopped:/a', 'other:/b'])).toContain(
      'copying between containers is not supported',
    );
    expect(await fail(['cp', join(out, 'afile'), join(out, 'b')])).toContain(
      'must specify at least one container source',
    );
    // A file onto an existing file overwrites it; onto a missing name creates it.
    await suite.must(['cp', 'stopped:/data/sub/f', join(out, 'afile')]);
    expect(readFileSync(join(out, 'afile'), 'utf8')).toBe('inside\n');
    // A directory to a missing name is created with the source's contents.
    await suite.must(['cp', 'stopped:/data', join(out, 'newdir')]);
    expect(readdirSync(join(out, 'newdir'))).toEqual(['sub']);
    // A stopped container keeps its files: started again, it runs on them.
    await suite.must(['start', 'stopped']);
    await suite.must(['cp', 'stopped:/tmp/renamed', join(out, 'after-start')]);
    expect(readFileSync(join(out, 'after-start'), 'utf8')).toBe('from host\n');
  });

  it('streams tar archives with -, both ways', async () => {
    const tar = kokerBinary(['cp', 'stopped:/data', '-']);
    expect(tar.code).toBe(0);
    const listing = execFileSync('tar', ['--numeric-owner', '-tvf', '-'], {
      input: tar.stdout,
      encoding: 'utf8',
    });
    expect(listing).toMatch(/^-rw-r----- 1234\/99 +7 .* data\/sub\/f$/m);
    expect(listing).toMatch(/^d.* data\/$/m);

    const src = hostDir('tarsrc');
    mkdirSync(join(src, 'in/dir'), { recursive: true });
    writeFileSync(join(src, 'in/dir/x'), 'streamed\n');
    const input = execFileSync('tar', ['-cf', '-', '-C', src, '--owner=42', '--group=43', 'in']);
    expect(kokerBinary(['cp', '-a', '-', 'stopped:/tmp'], input).code).toBe(0);
    const back = kokerBinary(['cp', 'stopped:/tmp/in/dir/x', '-']);
    expect(
      execFileSync('tar', ['--numeric-owner', '-tvf', '-'], { input: back.stdout, encoding: 'utf8' }),
    ).toMatch(/42\/43 .* x$/m);
    // A compressed archive is taken too, as Docker takes one.
    const gzipped = execFileSync('tar', ['-czf', '-', '-C', src, 'in']);
    expect(kokerBinary(['cp', '-', 'stopped:/var'], gzipped).code).toBe(0);
    expect(kokerBinary(['cp', 'stopped:/var/in/dir/x', '-']).code).toBe(0);
    const refused = kokerBinary(['cp', '-', 'stopped:/tmp/in/dir/x'], input);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('destination "stopped:/tmp/in/dir/x" must be a directory');

    // A tar that climbs out with '..' is refused, and nothing is written.
    const evil = hostDir('eviltar');
    writeFileSync(join(evil, 'payload'), 'escaped\n');
    const climbing = execFileSync('tar', [
      '-cf',
      '-',
      '-C',
      evil,
      '--transform',
      's,^,../../../../,',
      'payload',
    ]);
    const refusedTar = kokerBinary(['cp', '-', 'stopped:/tmp'], climbing);
    expect(refusedTar.code).not.toBe(0);
    expect(refusedTar.stderr).toContain("'..'");
  });

  it('keeps extended attributes with -a and file capabilities always; takes bzip2 and xz streams', async () => {
    await stoppedContainer('xattrs', 'true');
    const src = hostDir('xattr-src');
    mkdirSync(join(src, 'tree/dir'), { recursive: true });
    writeFileSync(join(src, 'tree/noted'), 'noted\n');
    writeFileSync(join(src, 'tree/ping'), 'not really ping\n');
    execFileSync('setfattr', ['-n', 'user.note', '-v', 'from the host', join(src, 'tree/noted')]);
    execFileSync('setfattr', ['-n', 'user.dir', '-v', 'a directory', join(src, 'tree/dir')]);
    execFileSync('setcap', ['cap_net_raw+ep', join(src, 'tree/ping')]);
    const note = (path: string) =>
      execFileSync('getfattr', ['--only-values', '--absolute-names', '-n', 'user.note', path], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    const hasNote = (path: string) => {
      try {
        return note(path) === 'from the host';
      } catch {
        return false;
      }
    };
    const caps = (path: string) => execFileSync('getcap', [path], { encoding: 'utf8' }).trim();

    await suite.must(['cp', '-a', join(src, 'tree'), 'xattrs:/kept']);
    await suite.must(['cp', join(src, 'tree'), 'xattrs:/plain']);
    const out = hostDir('xattr-out');
    await suite.must(['cp', '-a', 'xattrs:/kept', join(out, 'kept')]);
    await suite.must(['cp', '-a', 'xattrs:/plain', join(out, 'plain')]);
    await suite.must(['cp', 'xattrs:/kept', join(out, 'kept-then-plain')]);
    expect(hasNote(join(out, 'kept/noted'))).toBe(true);
    expect(
      execFileSync(
        'getfattr',
        ['--only-values', '--absolute-names', '-n', 'user.dir', join(out, 'kept/dir')],
        { encoding: 'utf8' },
      ),
    ).toBe('a directory');
    expect(caps(join(out, 'kept/ping'))).toMatch(/cap_net_raw[=+]ep$/);
    // Without -a: user attributes stay behind, file capabilities go along (as Docker's archives).
    expect(hasNote(join(out, 'plain/noted'))).toBe(false);
    expect(hasNote(join(out, 'kept-then-plain/noted'))).toBe(false);
    expect(caps(join(out, 'plain/ping'))).toMatch(/cap_net_raw[=+]ep$/);

    // A tar stream carries them both ways (PAX records), with -a.
    const streamed = kokerBinary(['cp', '-a', 'xattrs:/kept', '-']);
    expect(streamed.code).toBe(0);
    const unpacked = hostDir('xattr-unpacked');
    execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-xf', '-', '-C', unpacked], {
      input: streamed.stdout,
    });
    expect(hasNote(join(unpacked, 'kept/noted'))).toBe(true);
    const packed = execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-cf', '-', '-C', src, 'tree']);
    expect(kokerBinary(['cp', '-a', '-', 'xattrs:/var'], packed).code).toBe(0);
    await suite.must(['cp', '-a', 'xattrs:/var/tree', join(out, 'from-tar')]);
    expect(hasNote(join(out, 'from-tar/noted'))).toBe(true);
    expect(caps(join(out, 'from-tar/ping'))).toMatch(/cap_net_raw[=+]ep$/);

    // bzip2 and xz archives, as Docker's archive API takes them.
    for (const [flag, dir] of [
      ['-j', 'bz'],
      ['-J', 'xz'],
    ] as const) {
      mkdirSync(join(src, dir));
      writeFileSync(join(src, dir, 'f'), `${dir} compressed\n`);
      const archive = execFileSync('tar', [flag, '-cf', '-', '-C', src, dir]);
      const copied = kokerBinary(['cp', '-', 'xattrs:/tmp'], archive);
      expect(copied.stderr).toBe('');
      expect(copied.code).toBe(0);
      await suite.must(['cp', `xattrs:/tmp/${dir}/f`, join(out, `${dir}-f`)]);
      expect(readFileSync(join(out, `${dir}-f`), 'utf8')).toBe(`${dir} compressed\n`);
    }
  });

  it('works on a running container, through its own mount namespace', async () => {
    await suite.must([
      'run',
      '-d',
      '--name',
      'live',
      '--network',
      'none',
      'busybox',
      'sh',
      '-c',
      'mkdir /w && echo live > /w/file && touch /w/ready && exec sleep 1000',
    ]);
    const end = Date.now() + 20_000;
    while ((await suite.koker(['exec', 'live', 'test', '-e', '/w/ready'])).code !== 0) {
      if (Date.now() > end) throw new Error('the container did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    const out = hostDir('live');
    await suite.must(['cp', 'live:/w/file', out]);
    expect(readFileSync(join(out, 'file'), 'utf8')).toBe('live\n');
    writeFileSync(join(out, 'in'), 'to the running one\n');
    await suite.must(['cp', join(out, 'in'), 'live:/w/']);
    expect(await suite.must(['exec', 'live', 'cat', '/w/in'])).toBe('to the running one\n');
    // /proc inside is the container's: the host's /proc/self cannot be reached through it.
    const magic = await suite.koker(['cp', 'live:/proc/1/root/etc/passwd', out]);
    if (magic.code === 0)
      expect(readFileSync(join(out, 'passwd'), 'utf8').trim().split('\n')).toHaveLength(2);
    else expect(magic.code).toBe(1);
  });
});

describe('koker cp against planted symlinks', () => {
  it("resolves an image's symlinks inside the container, never on the host", async () => {
    await stoppedContainer('hostile', 'true', 'hostile');
    const src = hostDir('payload');
    writeFileSync(join(src, 'koker-cp-payload'), 'payload\n');
    const payload = join(src, 'koker-cp-payload');
    // Writes through /tmp/x -> /etc, /tmp/c -> CANARY, /tmp/rel -> ../../CANARY and /evil -> /.
    for (const dest of [
      'hostile:/tmp/x/',
      'hostile:/tmp/c/',
      'hostile:/tmp/rel/',
      'hostile:/evil/etc/',
      'hostile:/tmp/c/sub/',
    ])
      await suite.koker(['cp', payload, dest]);
    await suite.koker(['cp', '-L', payload, 'hostile:/home/secretlink']);
    // Reads: the container's /etc/passwd (busybox's two lines), not the host's; the canary's
    // secret does not exist in the container.
    const out = hostDir('hostile-out');
    await suite.must(['cp', 'hostile:/tmp/x/passwd', join(out, 'passwd')]);
    expect(readFileSync(join(out, 'passwd'), 'utf8').trim().split('\n')).toHaveLength(2);
    for (const source of ['hostile:/tmp/c/secret', 'hostile:/tmp/rel/secret', 'hostile:/tmp/c/sub/file']) {
      const result = await suite.koker(['cp', source, out]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('Could not find the file');
    }
    const followed = await suite.koker(['cp', '-L', 'hostile:/home/secretlink', join(out, 'followed')]);
    if (existsSync(join(out, 'followed')))
      expect(readFileSync(join(out, 'followed'), 'utf8')).not.toContain('host secret');
    expect(followed.stderr).not.toContain('host secret');
    // Without -L, the link itself.
    await suite.must(['cp', 'hostile:/tmp/c', join(out, 'link')]);
    expect(lstatSync(join(out, 'link')).isSymbolicLink()).toBe(true);
    // The payloads went into the container's own directories.
    const diff = await suite.must(['diff', 'hostile']);
    expect(diff).toContain('A /etc/koker-cp-payload');
    expect(diff).not.toContain('koker-e2e-canary');
    expect(treeDigest('/etc')).toBe(etcBefore);
    expect(treeDigest(suite.canary)).toBe(canaryBefore);
    expect(existsSync(join(suite.canary, 'koker-cp-payload'))).toBe(false);
  });

  it("a container that swapped its mounts' parent for symlinks before it stopped cannot redirect cp's mounts", async () => {
    const canary = suite.canary;
    const src = hostDir('planted-src');
    writeFileSync(join(src, 'koker-planted-payload'), 'payload\n');
    const payload = join(src, 'koker-planted-payload');
    const bind = hostDir('planted-bind');
    // Each moves the directory holding its mount points away and leaves a link in its place.
    for (const [name, link] of [
      ['planted-abs', canary],
      ['planted-climb', '../../../../../..'],
    ] as const) {
      await suite.must([
        'run',
        '--name',
        name,
        '--network',
        'none',
        '-v',
        `${name}-vol:/mnt/vol`,
        '-v',
        `${bind}:/mnt/bound`,
        'busybox',
        'sh',
        '-c',
        `mv /mnt /moved && ln -s ${link} /mnt`,
      ]);
    }
    // An absolute link is followed inside the container's root: the mounts land there, not on the host.
    await suite.must(['cp', payload, 'planted-abs:/mnt/vol/']);
    await suite.must(['cp', payload, 'planted-abs:/mnt/bound/']);
    expect(readFileSync(join(bind, 'koker-planted-payload'), 'utf8')).toBe('payload\n');
    const out = hostDir('planted-out');
    await suite.must(['cp', 'planted-abs:/mnt/vol/koker-planted-payload', join(out, 'from-volume')]);
    expect(readFileSync(join(out, 'from-volume'), 'utf8')).toBe('payload\n');
    // A link that climbs out of the root: refused, before anything is mounted or copied.
    const refused = await suite.koker(['cp', payload, 'planted-climb:/mnt/vol/']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("leads out of the container's root");
    expect(readdirSync(canary).sort()).toEqual(['secret', 'sub']);
    expect(treeDigest(canary)).toBe(canaryBefore);
    expect(treeDigest('/etc')).toBe(etcBefore);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(suite.root);
    for (const name of ['planted-abs', 'planted-climb']) {
      await suite.must(['rm', name]);
      await suite.must(['volume', 'rm', `${name}-vol`]);
    }
  });

  it('a running container swapping a directory for a symlink to the host cannot redirect cp', async () => {
    const canary = suite.canary;
    // The secret appears whole (written beside, then renamed), so a copy sees all of it or nothing.
    await suite.must([
      'run',
      '-d',
      '--name',
      'racer',
      '--network',
      'none',
      'busybox',
      'sh',
      '-c',
      `mkdir -p /t; while :; do rm -rf /t/sw; mkdir -p /t/sw/sub; echo inside > /t/sw/.s; mv /t/sw/.s /t/sw/secret; ` +
        `rm -rf /t/sw; ln -s ${canary} /t/sw; rm -f /t/sw; ln -s /etc /t/sw; done`,
    ]);
    const src = hostDir('race');
    writeFileSync(join(src, 'koker-race-payload'), 'payload\n');
    const out = hostDir('race-out');
    let copiedIn = 0;
    let copiedOut = 0;
    for (let i = 0; i < 15; i++) {
      if ((await suite.koker(['cp', join(src, 'koker-race-payload'), 'racer:/t/sw/'])).code === 0) copiedIn++;
      const target = join(out, String(i));
      if ((await suite.koker(['cp', 'racer:/t/sw', target])).code === 0) copiedOut++;
      if ((await suite.koker(['cp', 'racer:/t/sw/secret', `${target}-secret`])).code === 0) {
        expect(readFileSync(`${target}-secret`, 'utf8')).toBe('inside\n');
      }
    }
    // Whatever won each race, nothing of the host was written or read.
    expect(copiedIn + copiedOut).toBeGreaterThan(0);
    execFileSync('sh', ['-c', `! grep -r "host secret" ${out}`]);
    expect(treeDigest('/etc')).toBe(etcBefore);
    expect(treeDigest(canary)).toBe(canaryBefore);
    await suite.must(['rm', '-f', 'racer']);
  });
});

describe('koker diff', () => {
  it('lists added, changed and deleted paths, a deleted directory as one line', async () => {
    await stoppedContainer(
      'differ',
      'echo new > /etc/added && echo more >> /etc/passwd && rm /etc/group && rm -rf /usr && mkdir -p /opt/a',
    );
    const lines = (await suite.must(['diff', 'differ'])).trim().split('\n');
    expect(lines).toEqual([
      'C /etc',
      'A /etc/added',
      'D /etc/group',
      'C /etc/passwd',
      'A /opt',
      'A /opt/a',
      'D /usr',
    ]);
  });

  it('works the same on a container of the copy storage driver, stopped, with cp seeing its volume', async () => {
    await suite.must([
      '--storage-driver',
      'copy',
      'run',
      '--name',
      'differ-copy',
      '--network',
      'none',
      '-v',
      'differ-copy-vol:/vol',
      'busybox',
      'sh',
      '-c',
      'echo new > /etc/added && echo more >> /etc/passwd && rm /etc/group && rm -rf /usr && mkdir -p /opt/a && echo v > /vol/f',
    ]);
    const lines = (await suite.must(['diff', 'differ-copy'])).trim().split('\n');
    expect(lines).toEqual([
      'C /etc',
      'A /etc/added',
      'D /etc/group',
      'C /etc/passwd',
      'A /opt',
      'A /opt/a',
      'D /usr',
      // The volume's mount point, made in the container's layer (as Docker shows it too).
      'A /vol',
    ]);
    const out = hostDir('copy-driver-out');
    await suite.must(['cp', 'differ-copy:/vol/f', join(out, 'f')]);
    expect(readFileSync(join(out, 'f'), 'utf8')).toBe('v\n');
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(suite.root);
    await suite.must(['rm', 'differ-copy']);
    await suite.must(['volume', 'rm', 'differ-copy-vol']);
  });
});

describe('koker export', () => {
  it('writes the root filesystem as a tar stream, to stdout or atomically with -o', async () => {
    const listing = await new Promise<string>((resolve, reject) => {
      const exporter = spawn(KOKER_BIN, ['--root', suite.root, 'export', 'differ'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const tar = spawn('tar', ['-tf', '-'], { stdio: ['pipe', 'pipe', 'inherit'] });
      exporter.stdout.pipe(tar.stdin);
      let text = '';
      tar.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      tar.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`tar exited ${code}`))));
    });
    const names = listing.split('\n');
    expect(names).toContain('etc/added');
    expect(names).toContain('bin/busybox');
    expect(names).not.toContain('etc/group');
    expect(names.some((n) => n.startsWith('usr'))).toBe(false);

    const file = join(hostDir('export'), 'differ.tar');
    writeFileSync(file, 'old');
    await suite.must(['export', '-o', file, 'differ']);
    expect(execFileSync('tar', ['-tf', file], { encoding: 'utf8' })).toContain('etc/added');
    expect(statSync(file).isFile()).toBe(true);
    expect(readdirSync(join(suite.work, 'export'))).toEqual(['differ.tar']);
    const refused = await suite.koker(['export', '-o', '/dev/null', 'differ']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'invalid output file "/dev/null": it is a character device, not a regular file',
    );
  });
});
