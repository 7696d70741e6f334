import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeCgroupParent } from '../helpers/koker-root.js';
import { cgroupsOf, firstLine, startContainerSuite, type ContainerSuite } from './helpers/container-suite.js';

// `--cgroup-parent`: where the container's cgroups go, in every hierarchy of the host's layout.
let suite: ContainerSuite;
const tag = randomBytes(3).toString('hex');
const absolute = `koker-e2e-cgp-${tag}`;
const relative = `koker-e2e-cgr-${tag}`;
beforeAll(async () => {
  suite = await startContainerSuite();
});
afterAll(async () => {
  await suite?.stop();
  await removeCgroupParent(absolute);
  await removeCgroupParent(relative);
  expect(suite?.leaks() ?? []).toEqual([]);
});

const inspect = async (name: string, template: string) =>
  (await suite.must(['inspect', '-f', template, name])).trim();

/** The cgroup path of a process per hierarchy (`memory`, `pids`, `` for cgroup2). */
function cgroupPaths(pid: number): Map<string, string> {
  const paths = new Map<string, string>();
  for (const line of cgroupsOf(pid)) {
    const [, controllers = '', path = ''] = line.split(':');
    paths.set(controllers, path);
  }
  return paths;
}

/** The directory of a cgroup path in the hierarchy named by /proc/PID/cgroup's controller field. */
function cgroupDir(controllers: string, path: string): string {
  if (controllers !== '') return posix.join('/sys/fs/cgroup', controllers.replace(/^name=/, ''), path);
  const unified = existsSync('/sys/fs/cgroup/unified/cgroup.procs')
    ? '/sys/fs/cgroup/unified'
    : '/sys/fs/cgroup';
  return posix.join(unified, path);
}

describe('--cgroup-parent', () => {
  it('an absolute path is taken from the root of every hierarchy; its limits are written there', async () => {
    const id = firstLine(
      await suite.must([
        'run',
        '-d',
        '--name',
        'placed',
        '--cgroup-parent',
        `/${absolute}/web`,
        '--memory',
        '32m',
        suite.image,
        'sleep',
        '1000',
      ]),
    );
    const pid = Number(await inspect('placed', '{{.State.Pid}}'));
    const paths = cgroupPaths(pid);
    expect(paths.size).toBeGreaterThan(0);
    for (const [controllers, path] of paths) {
      expect(path, `hierarchy ${controllers || 'cgroup2'}`).toBe(`/${absolute}/web/${id}`);
    }
    const memory = [...paths.keys()].find((c) => c.split(',').includes('memory')) ?? '';
    const limitFile = memory === '' ? 'memory.max' : 'memory.limit_in_bytes';
    expect(
      readFileSync(posix.join(cgroupDir(memory, `/${absolute}/web/${id}`), limitFile), 'utf8').trim(),
    ).toBe(String(32 * 1024 * 1024));
    expect(await inspect('placed', '{{.HostConfig.CgroupParent}}')).toBe(`/${absolute}/web`);
    // stats, update, pause and exec find the cgroups there.
    const stats = await suite.must(['stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}}', 'placed']);
    expect(stats).toMatch(/^placed \S+ \/ 32MiB\n$/);
    await suite.must(['update', '--memory', '48m', 'placed']);
    expect(
      readFileSync(posix.join(cgroupDir(memory, `/${absolute}/web/${id}`), limitFile), 'utf8').trim(),
    ).toBe(String(48 * 1024 * 1024));
    expect(await suite.must(['exec', 'placed', 'cat', '/proc/self/cgroup'])).toContain('0::/');
    await suite.must(['rm', '-f', 'placed']);
    // The parents koker made for it go with it.
    for (const [controllers] of paths) expect(existsSync(cgroupDir(controllers, `/${absolute}`))).toBe(false);
  });

  it('a relative path goes next to the cgroup koker runs in; a created container is placed at start', async () => {
    const own = cgroupPaths(process.pid);
    const id = firstLine(
      await suite.must([
        'create',
        '--name',
        'beside',
        '--cgroup-parent',
        relative,
        suite.image,
        'sleep',
        '1000',
      ]),
    );
    await suite.must(['start', 'beside']);
    const paths = cgroupPaths(Number(await inspect('beside', '{{.State.Pid}}')));
    for (const [controllers, path] of paths) {
      const mine = own.get(controllers) ?? '/';
      expect(path, `hierarchy ${controllers || 'cgroup2'}`).toBe(
        posix.join(mine === '/' ? '/' : posix.dirname(mine), relative, id),
      );
    }
    await suite.must(['stop', '-t', '0', 'beside']);
    for (const [controllers, path] of paths) expect(existsSync(cgroupDir(controllers, path))).toBe(false);
    await suite.must(['rm', 'beside']);
  });

  it('refuses .., odd characters and an escape of the hierarchy (125) before anything is made', async () => {
    for (const bad of ['../escape', `/${absolute}/../x`, 'a b', '/a/./b']) {
      const refused = await suite.koker(['run', '--rm', '--cgroup-parent', bad, suite.image, 'true']);
      expect(refused.code, bad).toBe(125);
      expect(refused.stderr, bad).toContain('--cgroup-parent');
    }
    expect(suite.containerDirs()).toEqual([]);
  });
});
