import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startContainerSuite, type ContainerSuite } from '../containers/helpers/container-suite.js';

// `koker commit` through the real CLI: a container's upper layer becomes an image layer
// (OCI whiteouts), and a container of the new image sees exactly the committed changes.
let suite: ContainerSuite;
beforeAll(async () => {
  suite = await startContainerSuite();
}, 120_000);
afterAll(async () => {
  await suite?.stop();
  expect(suite?.leaks() ?? []).toEqual([]);
});

const CHANGES = [
  'echo added > /added.txt',
  'echo changed >> /etc/passwd',
  'rm /bin/vi',
  'rm -rf /usr && mkdir /usr && echo only > /usr/only',
  'mkdir -p /data && echo d > /data/f && chown 1234:99 /data/f && chmod 640 /data/f',
  // A link out of the container's tree: archived as a link, its target never read.
  'ln -s /etc/shadow /data/escape && ln -s / /data/root',
].join(' && ');

/** What a container sees of the paths the changes touched: names, owners, modes, contents. */
const PROBE = [
  "stat -c '%A %u %g' /added.txt /data/f",
  'cat /added.txt',
  'tail -1 /etc/passwd',
  'ls /bin/vi 2>&1 || true',
  'ls -A /usr',
  'cat /usr/only',
].join(' && ');

describe('koker commit', () => {
  it('makes an image of a stopped container: additions, changes, deletions and an opaque directory', async () => {
    await suite.must(['run', '--name', 'changed', '--network', 'none', suite.image, 'sh', '-c', CHANGES]);
    const id = (
      await suite.must([
        'commit',
        '-a',
        'Jane <jane@example.com>',
        '-m',
        'a message',
        '-c',
        'CMD ["cat", "/added.txt"]',
        '--change',
        'ENV FROM_CHANGE=yes',
        '-c',
        'EXPOSE 8080',
        'changed',
        'committed:1',
      ])
    ).trim();
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await suite.must(['images', '-q', '--no-trunc', 'committed:1'])).trim()).toBe(id);

    // The new image runs its committed Cmd, and shows exactly the changes.
    expect(await suite.must(['run', '--rm', '--network', 'none', 'committed:1'])).toBe('added\n');
    const seen = await suite.must(['run', '--rm', '--network', 'none', 'committed:1', 'sh', '-c', PROBE]);
    expect(seen.split('\n')).toEqual([
      '-rw-r--r-- 0 0',
      '-rw-r----- 1234 99',
      'added',
      'changed',
      'ls: /bin/vi: No such file or directory',
      'only',
      'only',
      '',
    ]);
    // The container of the committed image has no changes of its own.
    await suite.must(['run', '--name', 'fresh', '--network', 'none', 'committed:1', 'true']);
    expect(await suite.must(['diff', 'fresh'])).toBe('');

    const config = JSON.parse(await suite.must(['image', 'inspect', 'committed:1'])) as {
      Author: string;
      Comment?: string;
      Config: { Cmd: string[]; Env: string[]; ExposedPorts: Record<string, object> };
      RootFS: { Layers: string[] };
    }[];
    expect(config[0]?.Author ?? '').toBe('Jane <jane@example.com>');
    // Docker's inspect shows the message of `commit -m` as the image's comment.
    expect(config[0]?.Comment).toBe('a message');
    expect(config[0]?.Config.Cmd).toEqual(['cat', '/added.txt']);
    expect(config[0]?.Config.Env).toContain('FROM_CHANGE=yes');
    expect(Object.keys(config[0]?.Config.ExposedPorts ?? {})).toEqual(['8080/tcp']);
    const history = await suite.must([
      'history',
      '--no-trunc',
      '--format',
      '{{.CreatedBy}}|{{.Comment}}',
      'committed:1',
    ]);
    expect(history.split('\n')[0]).toMatch(/^sh -c echo added.*\|a message$/);

    // The layer is an OCI layer: whiteouts as .wh.NAME, the opaque directory as .wh..wh..opq.
    const work = join(suite.root, 'saved');
    mkdirSync(work, { recursive: true });
    await suite.must(['save', '-o', join(work, 'image.tar'), 'committed:1']);
    execFileSync('tar', ['-xf', join(work, 'image.tar'), '-C', work]);
    const index = JSON.parse(readFileSync(join(work, 'manifest.json'), 'utf8')) as { Layers: string[] }[];
    const top = index[0]?.Layers.at(-1) as string;
    const listing = execFileSync('tar', ['-tzf', join(work, top)], { encoding: 'utf8' }).split('\n');
    expect(listing).toEqual(
      expect.arrayContaining(['bin/.wh.vi', 'usr/', 'usr/.wh..wh..opq', 'usr/only', 'added.txt']),
    );
    expect(listing.filter((name) => /^(proc|sys|dev)\//.test(name) || name === 'etc/hosts')).toEqual([]);
    const links = execFileSync('tar', ['-tvzf', join(work, top), 'data/escape', 'data/root'], {
      encoding: 'utf8',
    });
    expect(links).toMatch(/^l.* 0 .* data\/escape -> \/etc\/shadow$/m);
    expect(links).toMatch(/^l.* 0 .* data\/root -> \/$/m);
    rmSync(work, { recursive: true, force: true });
    await suite.must(['rm', 'changed', 'fresh']);
    await suite.must(['rmi', 'committed:1']);
  });

  it('freezes a running container while it commits (and not with --pause=false), leaving it running', async () => {
    const id = (
      await suite.must([
        'run',
        '-d',
        '--name',
        'live',
        '--network',
        'none',
        suite.image,
        'sh',
        '-c',
        'echo live > /live; sleep 60',
      ])
    ).trim();
    const wait = async () => {
      for (let i = 0; i < 100; i++) {
        const r = await suite.koker(['exec', 'live', 'cat', '/live']);
        if (r.code === 0) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await wait();
    await suite.must(['-D', 'commit', 'live', 'live:paused']).then((out) => expect(out).toMatch(/^sha256:/));
    const debug = await suite.koker(['-D', 'commit', '--pause=false', 'live', 'live:unpaused']);
    expect(debug.code).toBe(0);
    expect(debug.stderr).not.toContain('Pause container for commit');
    const paused = await suite.koker(['-D', 'commit', 'live', 'live:paused2']);
    expect(paused.stderr).toContain('Pause container for commit');
    expect((await suite.must(['inspect', '--format', '{{.State.Status}}', id])).trim()).toBe('running');
    expect(await suite.must(['run', '--rm', '--network', 'none', 'live:paused', 'cat', '/live'])).toBe(
      'live\n',
    );
    await suite.must(['rm', '-f', 'live']);
    await suite.must(['rmi', 'live:paused', 'live:unpaused', 'live:paused2']);
  });

  it('refuses an instruction --change does not take, and a container that does not exist', async () => {
    await suite.must(['run', '--name', 'plain', '--network', 'none', suite.image, 'true']);
    const run = await suite.koker(['commit', '-c', 'RUN echo no', 'plain']);
    expect(run.code).toBe(125);
    expect(run.stderr).toContain('RUN is not a valid change command');
    const missing = await suite.koker(['commit', 'nothing-here']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/no such container/i);
    await suite.must(['rm', 'plain']);
  });
});
