import { afterAll, describe, expect, it } from 'vitest';
import { koker, kokerForAnyUser, type KokerOptions } from '../helpers/koker.js';

// nobody runs a world-readable copy: the checkout may be where only root can enter.
const anyUser = kokerForAnyUser();
afterAll(() => anyUser.remove());
const asNobody: KokerOptions = { uid: 65534, bin: anyUser.bin };

describe('the koker command', () => {
  it('prints its version and help without root', async () => {
    const version = await koker(['--version'], asNobody);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^koker version \d+\.\d+\.\d+/);
    expect((await koker(['-v'], asNobody)).stdout).toBe(version.stdout);
    expect((await koker(['--version'])).stdout).toBe(version.stdout);
    const help = await koker(['--help'], asNobody);
    expect(help.code).toBe(0);
    for (const word of ['container|c', 'image|i', '--debug', '--quiet', 'run', 'ps', 'images', 'rmi']) {
      expect(help.stdout).toContain(word);
    }
    const runHelp = await koker(['container', 'run', '--help'], asNobody);
    expect(runHelp.stdout).toContain('--hostname');
    expect(runHelp.stdout).toContain('--mem <MiB>');
  });

  it('says in one line that a command needs root', async () => {
    const result = await koker(['run', 'busybox', 'true'], asNobody);
    expect(result.code).toBe(125);
    expect(result.stderr.split('\n')[0]).toBe('koker: koker run needs root');
    expect(result.stdout).toBe('');
  });

  it('exits 125 with the reason on a usage error', async () => {
    const result = await koker(['run', '--no-such-flag', 'busybox']);
    expect(result.code).toBe(125);
    expect(result.stderr).toContain("unknown option '--no-such-flag'");
    const missing = await koker(['image', 'pull']);
    expect(missing.code).toBe(125);
    expect(missing.stderr).toContain("missing required argument 'image'");
  });

  it('reports an invalid --root', async () => {
    const result = await koker(['--root', 'relative/dir', 'info']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'invalid root directory (--root) "relative/dir": must be an absolute path',
    );
  });
});

describe('koker info', () => {
  it("shows this host's real cgroup layout and the driver picked for each contract", async () => {
    const result = await koker(['info', '--format', 'json']);
    expect(result.code).toBe(0);
    const info = JSON.parse(result.stdout) as {
      cgroupLayout: { mode: string; unifiedMount?: string };
      drivers: Record<
        string,
        { selected?: string; drivers: { name: string; result: { usable: boolean } }[] }
      >;
    };
    const mounted = (await import('node:fs')).readFileSync('/proc/self/mountinfo', 'utf8');
    const expected = / \/sys\/fs\/cgroup .* - cgroup2 /.test(mounted)
      ? 'unified'
      : / - cgroup2 /.test(mounted)
        ? 'hybrid'
        : 'legacy';
    expect(info.cgroupLayout.mode).toBe(expected);
    const wantDriver = { unified: 'cgroup-v2', hybrid: 'cgroup-hybrid', legacy: 'cgroup-v1' }[expected];
    expect(info.drivers.resources?.selected).toBe(wantDriver);
    expect(info.drivers.resources?.drivers.filter((d) => d.result.usable).map((d) => d.name)).toEqual([
      wantDriver,
    ]);

    const text = await koker(['info']);
    expect(text.stdout).toContain(`Cgroup layout:   ${expected}`);
    expect(text.stdout).toMatch(new RegExp(`\\* ${wantDriver} +selected`));
  });

  it('fails with the probe reason when an unusable driver is forced', async () => {
    const forced = (await koker(['info', '--format', 'json'])).stdout.includes('"mode": "legacy"')
      ? 'cgroup-v2'
      : 'cgroup-v1';
    const result = await koker(['--cgroup-driver', forced, 'info']);
    expect(result.stdout).toMatch(
      new RegExp(
        `resources: \\(forced: ${forced}\\) none usable: the resources driver "${forced}" cannot be used on this host: the host's cgroup layout is \\w+, not`,
      ),
    );
  });
});
