import { createHash } from 'node:crypto';
import {
  readdirSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  firstLine,
  startContainerSuite,
  type ContainerSuite,
} from '../containers/helpers/container-suite.js';
import { derivedImageArchive } from '../fixtures/derived-image.js';

// Images and running containers that plant symlinks where other containers mount: nothing may
// land on the host. The host's /etc, / and the mount table are compared before and after.
let suite: ContainerSuite;
let host: string;
const IMAGE = 'koker-e2e-hostile:1';
beforeAll(async () => {
  suite = await startContainerSuite();
  host = mkdtempSync(join(tmpdir(), 'koker-e2e-hostile-host-'));
  writeFileSync(join(host, 'marker'), 'from the host dir\n');
  const image = await derivedImageArchive({
    tag: IMAGE,
    entries: [
      { type: 'symlink', name: 'data', target: '/etc' },
      { type: 'symlink', name: 'escape', target: '../../..' },
      { type: 'symlink', name: 'deep', target: '../../../../../../tmp' },
      { type: 'symlink', name: 'root', target: '/' },
      { type: 'dir', name: 'dir' },
      { type: 'symlink', name: 'dir/up', target: '../..' },
    ],
  });
  try {
    await suite.must(['load', '-i', image.archive]);
  } finally {
    image.remove();
  }
});
afterAll(async () => {
  rmSync(host, { recursive: true, force: true });
  await suite?.stop();
  expect(suite?.leaks() ?? []).toEqual([]);
});

/** Names, kinds and contents (hashed) of a host directory, one level deep. */
function tree(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .map((name) => {
      const path = join(dir, name);
      const stat = lstatSync(path);
      const kind = stat.isFile()
        ? createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16)
        : stat.isDirectory()
          ? 'dir'
          : 'other';
      return `${name} ${kind} ${stat.mode.toString(8)}`;
    });
}
const mounts = () =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ').slice(3, 5).join(' '))
    .sort();

describe('symlinks planted at mount targets', () => {
  it("an image's links are followed inside its root, or refused when they climb out of it", async () => {
    // /tmp is shared with everything else on the host: only what a mount through /deep could make there.
    const tmp = () => tree('/tmp').filter((entry) => entry.startsWith('x '));
    const before = { etc: tree('/etc'), root: tree('/'), tmp: tmp(), mounts: mounts() };
    const run = (target: string, ...cmd: string[]) =>
      suite.koker(['run', '--rm', '--network', 'none', '-v', `${host}:${target}`, IMAGE, ...cmd]);
    // /data -> /etc: the container's own /etc gets the bind, as Docker does.
    const inside = await run('/data', 'cat', '/etc/marker');
    expect(inside.stdout).toBe('from the host dir\n');
    for (const target of ['/escape', '/deep', '/root', '/dir/up', '/escape/etc', '/dir/up/x']) {
      const refused = await run(target, 'true');
      expect(refused.code, target).toBe(125);
      expect(refused.stderr).toMatch(/leads out of the container's root|resolves to the container's root/);
    }
    // A --tmpfs and a volume through the same links: the same rules.
    expect(
      (await suite.koker(['run', '--rm', '--network', 'none', '--tmpfs', '/escape', IMAGE, 'true'])).code,
    ).toBe(125);
    expect(
      (await suite.koker(['run', '--rm', '--network', 'none', '-v', 'v:/deep/x', IMAGE, 'true'])).code,
    ).toBe(125);
    expect({ etc: tree('/etc'), root: tree('/'), tmp: tmp(), mounts: mounts() }).toEqual(before);
    expect(existsSync('/marker')).toBe(false);
    await suite.koker(['volume', 'rm', 'v']);
  });

  it(
    'a running container swapping a shared directory for symlinks cannot move another container’s mounts',
    { timeout: 180_000 },
    async () => {
      const before = { etc: tree('/etc'), root: tree('/'), mounts: mounts() };
      // The attacker flips /shared/sub between a directory and links to / and ../../.. in a loop.
      const attacker = firstLine(
        await suite.must([
          'run',
          '-d',
          '--network',
          'none',
          '--name',
          'attacker',
          '-v',
          'race:/shared',
          IMAGE,
          'sh',
          '-c',
          'while true; do rm -rf /shared/sub; ln -s / /shared/sub; rm -f /shared/sub; ln -s ../../.. /shared/sub; rm -f /shared/sub; mkdir -p /shared/sub/target; done',
        ]),
      );
      try {
        let ok = 0;
        let refused = 0;
        for (let i = 0; i < 15; i++) {
          // The victim mounts a host dir inside the volume the attacker races on, and joins it by --volumes-from too.
          const args = i % 2 === 0 ? ['-v', 'race:/shared'] : ['--volumes-from', 'attacker'];
          const result = await suite.koker([
            'run',
            '--rm',
            '--network',
            'none',
            ...args,
            '-v',
            `${host}:/shared/sub/target:ro`,
            IMAGE,
            'true',
          ]);
          if (result.code === 0) ok++;
          else {
            expect(result.code).toBe(125);
            refused++;
          }
        }
        expect(ok + refused).toBe(15);
        expect(existsSync('/target')).toBe(false);
        expect(existsSync('/shared')).toBe(false);
      } finally {
        await suite.koker(['rm', '-f', attacker]);
        await suite.koker(['volume', 'rm', 'race']);
      }
      expect({ etc: tree('/etc'), root: tree('/'), mounts: mounts() }).toEqual(before);
    },
  );
});
