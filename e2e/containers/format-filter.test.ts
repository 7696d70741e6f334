import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstLine, startContainerSuite, type ContainerSuite } from './helpers/container-suite.js';

// `--format` Go templates and `--filter` through the real CLI: ps, images, inspect.
let suite: ContainerSuite;
let web: string;
let done: string;

beforeAll(async () => {
  suite = await startContainerSuite();
  web = firstLine(
    await suite.must(['run', '-d', '--name', 'fmt-web', '--label', 'tier=web', suite.image, 'sleep', '1000']),
  );
  done = firstLine(await suite.must(['run', '-d', '--name', 'fmt-done', suite.image, 'sh', '-c', 'exit 3']));
  await suite.must(['wait', 'fmt-done']).catch(async () => {
    // Before `wait` exists: poll until it has exited.
    for (let i = 0; i < 100 && !(await suite.must(['ps', '-a'])).includes('Exited (3)'); i++)
      await new Promise((r) => setTimeout(r, 100));
  });
});

afterAll(async () => {
  await suite?.stop();
  expect(suite?.leaks() ?? []).toEqual([]);
});

describe('ps', () => {
  it('formats rows with a Go template, a table with aligned headers, and json', async () => {
    expect(await suite.must(['ps', '--format', '{{.ID}}: {{.Names}} {{.State}}'])).toBe(
      `${web.slice(0, 12)}: fmt-web running\n`,
    );
    const table = await suite.must([
      'ps',
      '-a',
      '--format',
      'table {{.Names}}\\t{{.Status}}\\t{{upper .State}}',
    ]);
    const lines = table.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAMES {6}STATUS {3,}STATE$/);
    expect(lines.slice(1).sort()).toEqual([
      expect.stringMatching(/^fmt-done {3}Exited \(3\) .* ago +EXITED$/),
      expect.stringMatching(/^fmt-web {4}Up .+ +RUNNING$/),
    ]);
    const json = (await suite.must(['ps', '-a', '--format', '{{json .}}', '--no-trunc']))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(json.map((j) => j.ID).sort()).toEqual([web, done].sort());
    expect(Object.keys(json[0] ?? {})).toEqual(
      expect.arrayContaining(['Command', 'CreatedAt', 'Labels', 'Mounts', 'Networks']),
    );
  });

  it("refuses a bad template with Go's message", async () => {
    const bad = await suite.koker(['ps', '--format', '{{.Nope}}']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("can't evaluate field Nope");
    const unparsable = await suite.koker(['ps', '--format', '{{if .ID}}']);
    expect(unparsable.stderr).toContain('unexpected EOF');
  });

  it('filters by name, id, status, exited, ancestor, before and since', async () => {
    const names = async (...filters: string[]) =>
      (await suite.must(['ps', '-a', '--format', '{{.Names}}', ...filters.flatMap((f) => ['--filter', f])]))
        .trim()
        .split('\n')
        .filter(Boolean)
        .sort();
    expect(await names('name=fmt-w')).toEqual(['fmt-web']);
    expect(await names('name=^fmt-done$')).toEqual(['fmt-done']);
    expect(await names(`id=${done.slice(0, 10)}`)).toEqual(['fmt-done']);
    expect(await names('status=exited')).toEqual(['fmt-done']);
    expect(await names('status=running', 'status=exited')).toEqual(['fmt-done', 'fmt-web']);
    expect(await names('exited=3')).toEqual(['fmt-done']);
    expect(await names('exited=0')).toEqual([]);
    expect(await names(`ancestor=${suite.image}`)).toEqual(['fmt-done', 'fmt-web']);
    expect(await names('ancestor=no-such-image')).toEqual([]);
    expect(await names('before=fmt-done')).toEqual(['fmt-web']);
    expect(await names('since=fmt-web')).toEqual(['fmt-done']);
    expect(await names('label=nope')).toEqual([]);
    expect(await names('label=tier')).toEqual(['fmt-web']);
    expect(await names('label=tier=web')).toEqual(['fmt-web']);
    expect(await names('label=tier=db')).toEqual([]);
    expect(await suite.must(['ps', '--format', '{{.Label "tier"}} {{.Labels}}'])).toBe('web tier=web\n');
    expect(await names('network=bridge')).toEqual(['fmt-done', 'fmt-web']);
    expect(await names('health=none', 'name=fmt-web')).toEqual(['fmt-web']);
    // Without -a a status filter still sees stopped containers, as `docker ps -q -f status=exited`.
    expect((await suite.must(['ps', '-q', '-f', 'status=exited'])).trim()).toBe(done.slice(0, 12));
    const unknown = await suite.koker(['ps', '--filter', 'colour=red']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("unknown filter 'colour'");
    expect((await suite.koker(['ps', '--filter', 'status=sleeping'])).stderr).toContain(
      "invalid filter 'status=sleeping'",
    );
  });
});

describe('images', () => {
  it('formats and filters images', async () => {
    const repository = suite.image.slice(0, suite.image.lastIndexOf(':'));
    expect(await suite.must(['images', '--format', '{{.Repository}}:{{.Tag}}'])).toBe(`${suite.image}\n`);
    const table = await suite.must(['images', '--format', 'table {{.Repository}}\\t{{.Tag}}']);
    expect(table.split('\n')[0]).toMatch(/^REPOSITORY +TAG$/);
    expect(await suite.must(['images', '-q', '--filter', 'dangling=true'])).toBe('');
    expect(await suite.must(['images', '--format', '{{.Tag}}', '--filter', 'dangling=false'])).toBe(
      'latest\n',
    );
    expect(await suite.must(['images', '--format', '{{.Tag}}', '--filter', `reference=${repository}`])).toBe(
      'latest\n',
    );
    expect(
      await suite.must([
        'images',
        '--format',
        '{{.Tag}}',
        '--filter',
        `reference=${repository.replace(/busybox$/, 'busy*')}:lat*`,
      ]),
    ).toBe('latest\n');
    expect(await suite.must(['images', '-q', '--filter', 'reference=nothing*'])).toBe('');
    expect(await suite.must(['images', '-q', '--filter', 'label=nope'])).toBe('');
  });
});

describe('inspect', () => {
  it('runs -f templates on containers and images found by name', async () => {
    expect(
      await suite.must(['inspect', '-f', '{{.Name}} {{.State.Status}} {{.State.ExitCode}}', 'fmt-done']),
    ).toBe('/fmt-done exited 3\n');
    expect(await suite.must(['container', 'inspect', '--format', '{{json .Config.Cmd}}', 'fmt-web'])).toBe(
      '["sleep","1000"]\n',
    );
    const ip = (await suite.must(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'fmt-web'])).trim();
    expect(ip.startsWith(`${suite.subnetPrefix}.`)).toBe(true);
    expect(
      await suite.must(['inspect', '-f', '{{range $i, $a := .Config.Cmd}}{{$i}}:{{$a}} {{end}}', 'fmt-web']),
    ).toBe('0:sleep 1:1000 \n');
    expect(await suite.must(['inspect', '--format', '{{index .RepoTags 0}}', suite.image])).toBe(
      `${suite.image}\n`,
    );
    expect(await suite.must(['image', 'inspect', '-f', '{{.Os}}/{{.Architecture}}', suite.image])).toMatch(
      /^linux\/\w+\n$/,
    );
    // A container is found first; --type picks a kind.
    expect(await suite.must(['inspect', '--type', 'image', '-f', '{{.Os}}', suite.image])).toBe('linux\n');
    const missing = await suite.koker(['inspect', '-f', '{{.Name}}', 'fmt-web', 'no-such-thing']);
    expect(missing.stdout).toBe('/fmt-web\n');
    expect(missing.stderr).toContain('no such object: no-such-thing');
    expect(missing.code).not.toBe(0);
    const container = await suite.koker(['container', 'inspect', suite.image]);
    expect(container.stderr).toContain(`no such container: ${suite.image}`);
  });
});
