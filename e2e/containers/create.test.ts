import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventsSince,
  firstLine,
  startContainerSuite,
  waitFor,
  type ContainerSuite,
} from './helpers/container-suite.js';

// `koker create`, then `start` / `start -a`, and `rm` of a container that never ran.
let suite: ContainerSuite;
beforeAll(async () => {
  suite = await startContainerSuite();
});
afterAll(async () => {
  await suite?.stop();
  expect(suite?.leaks() ?? []).toEqual([]);
});

const inspect = async (name: string, template: string) =>
  (await suite.must(['inspect', '-f', template, name])).trim();

describe('create', () => {
  it('prints the ID; ps -a shows it Created; start runs it later under its monitor', async () => {
    const id = firstLine(
      await suite.must([
        'create',
        '--name',
        'made',
        '-e',
        'GREETING=hi',
        '--label',
        'tier=web',
        '--memory',
        '64m',
        suite.image,
        'sh',
        '-c',
        'echo $GREETING; sleep 1000',
      ]),
    );
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(await suite.must(['ps', '-a', '--filter', 'name=made', '--format', '{{.ID}} {{.Status}}'])).toBe(
      `${id.slice(0, 12)} Created\n`,
    );
    expect(await suite.must(['ps', '--filter', 'name=made', '-q'])).toBe('');
    expect(await suite.must(['ps', '-a', '--filter', 'status=created', '-q'])).toBe(`${id.slice(0, 12)}\n`);
    expect(
      await inspect('made', '{{.State.Status}} {{.State.Running}} {{.State.Pid}} {{.Config.Labels.tier}}'),
    ).toBe('created false 0 web');
    expect(await inspect('made', '{{.HostConfig.Memory}}')).toBe(String(64 * 1024 * 1024));
    // Nothing runs yet: no process, no cgroup, no address.
    expect(await inspect('made', '{{.NetworkSettings.IPAddress}}')).toBe('');
    expect(await suite.must(['start', 'made'])).toBe('made\n');
    expect(await inspect('made', '{{.State.Status}}')).toBe('running');
    await waitFor(async () => (await suite.must(['logs', 'made'])) === 'hi\n', 'the output in the log');
    expect(await inspect('made', '{{.NetworkSettings.IPAddress}}')).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const events = await suite.must([
      'events',
      '--since',
      '0',
      '--until',
      String(Math.ceil(Date.now() / 1000) + 1),
      '--filter',
      'container=made',
      '--format',
      '{{.Action}}',
    ]);
    expect(events).toBe('create\nstart\n');
    await suite.must(['rm', '-f', 'made']);
  });

  it('start -a attaches and exits with the code; -t and -i are kept for start -ai', async () => {
    await suite.must([
      'create',
      '--name',
      'attached',
      suite.image,
      'sh',
      '-c',
      'echo out; echo err >&2; exit 3',
    ]);
    const started = await suite.koker(['-q', 'start', '-a', 'attached']);
    expect(started.code).toBe(3);
    expect(started.stdout).toBe('out\n');
    expect(started.stderr).toBe('err\n');
    expect(await inspect('attached', '{{.State.Status}} {{.State.ExitCode}}')).toBe('exited 3');
    // Started again like any stopped container.
    expect((await suite.koker(['start', '-a', 'attached'])).code).toBe(3);
    await suite.must(['rm', 'attached']);

    await suite.must([
      'create',
      '-i',
      '--name',
      'reader',
      suite.image,
      'sh',
      '-c',
      'read line; echo got $line',
    ]);
    const read = await suite.koker(['start', '-a', '-i', 'reader'], { input: 'hello\n' });
    expect(read.stdout).toBe('got hello\n');
    expect(read.code).toBe(0);
    await suite.must(['rm', 'reader']);
  });

  it('rm removes a created container; --rm ones stay until they have run; --cidfile gets the ID', async () => {
    const id = firstLine(await suite.must(['create', '--name', 'never', suite.image, 'true']));
    expect(suite.containerDirs()).toContain(id);
    expect(await suite.must(['rm', 'never'])).toBe('never\n');
    expect(suite.containerDirs()).not.toContain(id);

    const cidfile = `${suite.root}/created.cid`;
    const gone = firstLine(
      await suite.must(['create', '--rm', '--cidfile', cidfile, '--name', 'once', suite.image, 'true']),
    );
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(cidfile, 'utf8')).toBe(gone);
    expect(await inspect('once', '{{.State.Status}} {{.HostConfig.AutoRemove}}')).toBe('created true');
    expect((await suite.koker(['start', '-a', 'once'])).code).toBe(0);
    await waitFor(() => !suite.containerDirs().includes(gone), 'the --rm container removed after its run');
  });

  it('container prune removes created and exited containers, keeps running ones; ps filters stay right', async () => {
    const created = firstLine(await suite.must(['create', '--name', 'pr-created', suite.image, 'true']));
    const exited = firstLine(await suite.must(['run', '-d', '--name', 'pr-exited', suite.image, 'true']));
    await waitFor(
      async () => (await inspect('pr-exited', '{{.State.Status}}')) === 'exited',
      'pr-exited to end',
    );
    const live = firstLine(
      await suite.must(['run', '-d', '--name', 'pr-running', suite.image, 'sleep', '1000']),
    );
    const mine = ['--filter', 'name=pr-'];
    expect(
      await suite.must(['ps', '-a', ...mine, '--filter', 'status=created', '--format', '{{.Names}}']),
    ).toBe('pr-created\n');
    expect(
      await suite.must(['ps', '-a', ...mine, '--filter', 'status=exited', '--format', '{{.Names}}']),
    ).toBe('pr-exited\n');
    const since = Math.floor(Date.now() / 1000) - 1;
    const out = await suite.must(['container', 'prune', '-f']);
    expect(
      out
        .split('\n')
        .filter((l) => /^[0-9a-f]{64}$/.test(l))
        .sort(),
    ).toEqual([created, exited].sort());
    expect(out.startsWith('Deleted Containers:\n')).toBe(true);
    expect(await suite.must(['ps', '-a', ...mine, '--format', '{{.Names}} {{.State}}'])).toBe(
      'pr-running running\n',
    );
    expect(suite.containerDirs()).not.toContain(created);
    // Each removed one has its destroy event, as `rm` gives.
    const destroyed = await eventsSince(suite, since, '{{.Actor.Attributes.name}}', ['event=destroy']);
    expect(destroyed.filter((n) => n.startsWith('pr-')).sort()).toEqual(['pr-created', 'pr-exited']);
    await suite.must(['rm', '-f', live]);
  });

  it('a failed create leaves nothing, and bad flags exit 125 before anything is made', async () => {
    const before = suite.containerDirs().length;
    const missing = await suite.koker(['create', '--pull', 'never', 'no-such-image:1']);
    expect(missing.code).toBe(125);
    const bad = await suite.koker(['create', '--memory', 'lots', suite.image]);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain('invalid size "lots"');
    const taken = await suite.koker(['create', '--name', 'twice', suite.image]);
    expect(taken.code).toBe(0);
    const again = await suite.koker(['create', '--name', 'twice', suite.image]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('twice');
    await suite.must(['container', 'rm', 'twice']);
    expect(suite.containerDirs().length).toBe(before);
    // `container create` is the same command.
    const viaGroup = firstLine(await suite.must(['container', 'create', suite.image, 'true']));
    expect(await inspect(viaGroup, '{{.State.Status}}')).toBe('created');
    await suite.must(['rm', viaGroup]);
  });
});
