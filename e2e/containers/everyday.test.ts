import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockIoBytes } from '../helpers/decimal-size.js';
import {
  eventsSince as journalSince,
  firstLine,
  startContainerSuite,
  waitFor,
  type ContainerSuite,
} from './helpers/container-suite.js';

// Image, network and volume events; kill, stop and rm -f of a paused container; inspect of
// every kind; volume ls and network ls with Go templates.
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

/** The journal from `since` (seconds) until now, one line per event through `format`. */
const eventsSince = (since: number, format: string, filters: string[] = []) =>
  journalSince(suite, since, format, filters);

describe('events of images, networks and volumes', () => {
  it('pull, tag, untag, save and load are in the journal, named as Docker names them', async () => {
    // After the second in which the suite pulled its image.
    await new Promise((r) => setTimeout(r, 1100));
    const since = Math.floor(Date.now() / 1000);
    await suite.must(['pull', suite.image]);
    const id = (await suite.must(['image', 'inspect', '-f', '{{.Id}}', suite.image])).trim();
    await suite.must(['tag', suite.image, 'events-copy:1']);
    const archive = join(suite.root, 'events.tar');
    await suite.must(['save', '-o', archive, 'events-copy:1']);
    await suite.must(['rmi', 'events-copy:1']);
    await suite.must(['load', '-q', '-i', archive]);
    await suite.must(['rmi', 'events-copy:1']);
    const familiar = suite.image.includes(':') ? suite.image : `${suite.image}:latest`;
    const events = await eventsSince(since, '{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}}', [
      'type=image',
    ]);
    expect(events).toEqual([
      `pull ${familiar} ${familiar.slice(0, familiar.lastIndexOf(':'))}`,
      `tag ${id} events-copy:1`,
      `save ${id} ${id}`,
      `untag ${id} ${id}`,
      `load ${id} ${id}`,
      `untag ${id} ${id}`,
    ]);
    // The image stays (the suite's tag still names it): no delete.
    expect(await suite.must(['images', '-q', suite.image])).not.toBe('');
  });

  it('network create, connect, disconnect, destroy and volume create, destroy', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const net = firstLine(await suite.must(['network', 'create', 'ev-net']));
    await suite.must(['volume', 'create', 'ev-vol']);
    await suite.must(['run', '-d', '--name', 'ev-c', suite.image, 'sleep', '1000']);
    const cid = (await inspect('ev-c', '{{.Id}}')).trim();
    await suite.must(['network', 'connect', 'ev-net', 'ev-c']);
    await suite.must(['network', 'disconnect', 'ev-net', 'ev-c']);
    await suite.must(['rm', '-f', 'ev-c']);
    await suite.must(['network', 'rm', 'ev-net']);
    await suite.must(['volume', 'rm', 'ev-vol']);
    expect(
      await eventsSince(since, '{{.Type}} {{.Action}} {{.Actor.ID}} {{json .Actor.Attributes}}', [
        'type=network',
        'type=volume',
      ]),
    ).toEqual([
      `network create ${net} {"name":"ev-net","type":"bridge"}`,
      'volume create ev-vol {"driver":"local"}',
      `network connect ${net} {"container":"${cid}","name":"ev-net","type":"bridge"}`,
      `network disconnect ${net} {"container":"${cid}","name":"ev-net","type":"bridge"}`,
      `network destroy ${net} {"name":"ev-net","type":"bridge"}`,
      'volume destroy ev-vol {"driver":"local"}',
    ]);
  });
});

describe('events of the volumes a container makes and removes', () => {
  it("-v NAME:/p, -v /p and the image's VOLUMEs each get a create before the container's; rm -v and --rm destroy the anonymous ones", async () => {
    const { derivedImageArchive } = await import('../fixtures/derived-image.js');
    const image = await derivedImageArchive({ tag: 'with-volume:1', entries: [], volumes: ['/imgvol'] });
    try {
      await suite.must(['load', '-q', '-i', image.archive]);
    } finally {
      image.remove();
    }
    const since = Math.floor(Date.now() / 1000) - 1;
    const format = '{{.Type}} {{.Action}} {{.Actor.ID}}';
    const types = ['type=volume', 'type=container'];
    const cid = firstLine(
      await suite.must([
        'run',
        '-d',
        '--name',
        'ev-vols',
        '-v',
        'ev-named:/named',
        '-v',
        '/anon',
        'with-volume:1',
        'sleep',
        '1000',
      ]),
    );
    const [anon, imgvol] = (
      await inspect('ev-vols', '{{range .Mounts}}{{if ne .Name "ev-named"}}{{.Name}} {{end}}{{end}}')
    ).split(' ');
    expect(anon).toMatch(/^[0-9a-f]{64}$/);
    expect(imgvol).toMatch(/^[0-9a-f]{64}$/);
    expect(await eventsSince(since, format, types)).toEqual([
      'volume create ev-named',
      `volume create ${anon}`,
      `volume create ${imgvol}`,
      `container create ${cid}`,
      `container start ${cid}`,
    ]);
    // Docker's attributes: the driver.
    expect(await eventsSince(since, '{{json .Actor.Attributes}}', ['volume=ev-named'])).toEqual([
      '{"driver":"local"}',
    ]);

    // rm -v: the anonymous ones go (before the container's destroy, as Docker's), the named one stays.
    const removedAt = Math.floor(Date.now() / 1000);
    await suite.must(['rm', '-f', '-v', 'ev-vols']);
    const afterRm = await eventsSince(removedAt, format, ['type=volume', 'event=destroy']);
    expect(afterRm.sort()).toEqual([`volume destroy ${anon}`, `volume destroy ${imgvol}`].sort());
    const order = await eventsSince(removedAt, format, [...types, 'event=destroy']);
    expect(order.at(-1)).toBe(`container destroy ${cid}`);
    // rm -f killed it: its die comes first, with SIGKILL's code.
    expect(
      await eventsSince(removedAt, '{{.Action}} {{.Actor.Attributes.exitCode}}', ['container=ev-vols']),
    ).toEqual(['die 137', 'destroy <no value>']);
    expect(await suite.must(['volume', 'ls', '-q', '--filter', 'name=ev-named'])).toBe('ev-named\n');

    // --rm: die, then its anonymous volume's destroy, then the container's destroy.
    await new Promise((r) => setTimeout(r, 1100));
    const rmSince = Math.floor(Date.now() / 1000);
    expect(
      await suite.must(['run', '--rm', '--name', 'ev-rm', '-v', '/scratch', suite.image, 'echo', 'ran']),
    ).toBe('ran\n');
    await waitFor(
      async () => (await eventsSince(rmSince, '{{.Action}}', ['container=ev-rm'])).includes('destroy'),
      'the --rm container destroyed',
    );
    const rmEvents = await eventsSince(rmSince, '{{.Type}} {{.Action}}', types);
    expect(rmEvents).toEqual([
      'volume create',
      'container create',
      'container start',
      'container die',
      'volume destroy',
      'container destroy',
    ]);
    expect(await suite.must(['volume', 'ls', '-q'])).not.toContain(anon);
    await suite.must(['volume', 'rm', 'ev-named']);
    await suite.must(['rmi', 'with-volume:1']);
  });
});

describe('a paused container', () => {
  it('kill thaws it for SIGKILL, and it dies; stop thaws it and stops it; rm -f removes it', async () => {
    const loop = ['sh', '-c', 'trap "exit 3" TERM; while :; do sleep 0.1; done'];
    await suite.must(['run', '-d', '--name', 'pk', suite.image, ...loop]);
    await suite.must(['pause', 'pk']);
    await suite.must(['kill', 'pk']);
    await waitFor(async () => (await inspect('pk', '{{.State.Status}}')) === 'exited', 'pk to die');
    expect(await inspect('pk', '{{.State.ExitCode}} {{.State.Paused}}')).toBe('137 false');

    await suite.must(['run', '-d', '--name', 'ps', suite.image, ...loop]);
    await suite.must(['pause', 'ps']);
    const started = Date.now();
    expect(await suite.must(['stop', 'ps'])).toBe('ps\n');
    // Its trap ran (exit 3), well before the 10 s that SIGKILL would have waited.
    expect(await inspect('ps', '{{.State.Status}} {{.State.ExitCode}}')).toBe('exited 3');
    expect(Date.now() - started).toBeLessThan(8000);

    // A signal that is not meant to end it waits, pending, for unpause (Docker's rule).
    await suite.must(['run', '-d', '--name', 'pu', '--stop-signal', 'USR1', suite.image, ...loop]);
    await suite.must(['pause', 'pu']);
    await suite.must(['kill', '-s', 'TERM', 'pu']);
    expect(await inspect('pu', '{{.State.Status}}')).toBe('paused');
    await suite.must(['unpause', 'pu']);
    await waitFor(async () => (await inspect('pu', '{{.State.Status}}')) === 'exited', 'pu to act on TERM');
    expect(await inspect('pu', '{{.State.ExitCode}}')).toBe('3');

    await suite.must(['run', '-d', '--name', 'pr', suite.image, ...loop]);
    await suite.must(['pause', 'pr']);
    expect(await suite.must(['rm', '-f', 'pr'])).toBe('pr\n');
    const events = await eventsSince(Math.floor(started / 1000) - 1, '{{.Action}}', ['container=ps']);
    expect(events).toContain('stop');
    await suite.must(['rm', 'pk', 'ps', 'pu']);
  });
});

describe('inspect of every kind, and ls templates', () => {
  it('inspect finds volumes and networks by name, and --type picks the kind', async () => {
    await suite.must(['volume', 'create', '--label', 'team=web', 'kinds']);
    await suite.must(['network', 'create', '--label', 'team=db', 'kinds-net']);
    expect(await inspect('kinds', '{{.Name}} {{.Driver}} {{.Labels.team}}')).toBe('kinds local web');
    expect(await inspect('kinds-net', '{{.Name}} {{.Driver}} {{.Labels.team}}')).toBe('kinds-net bridge db');
    expect(await inspect('bridge', '{{.Name}} {{.Scope}}')).toBe('bridge local');
    expect(
      (await suite.must(['inspect', '--type', 'volume', '-f', '{{.Mountpoint}}', 'kinds'])).trim(),
    ).toMatch(/\/volumes\/kinds\/_data$/);
    const wrongType = await suite.koker(['inspect', '--type', 'network', 'kinds']);
    expect(wrongType.code).toBe(1);
    expect(wrongType.stderr).toContain('no such network: kinds');
    const missing = await suite.koker(['inspect', 'no-such-thing']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no such object: no-such-thing');
    const bad = await suite.koker(['inspect', '--type', 'secret', 'kinds']);
    expect(bad.code).not.toBe(0);

    // Docker's documented examples for volume ls and network ls.
    expect(await suite.must(['volume', 'ls', '--format', '{{.Name}}: {{.Driver}}', '-f', 'name=kinds'])).toBe(
      'kinds: local\n',
    );
    expect(
      await suite.must([
        'volume',
        'ls',
        '--format',
        'table {{.Name}}\t{{.Label "team"}}',
        '-f',
        'name=kinds',
      ]),
    ).toBe('VOLUME NAME   LABEL\nkinds         web\n');
    const volumeJson = JSON.parse(
      await suite.must(['volume', 'ls', '--format', '{{json .}}', '-f', 'name=kinds']),
    );
    expect(Object.keys(volumeJson)).toEqual([
      'Availability',
      'Driver',
      'Group',
      'Labels',
      'Links',
      'Mountpoint',
      'Name',
      'Scope',
      'Size',
      'Status',
    ]);
    expect(volumeJson).toMatchObject({ Driver: 'local', Labels: 'team=web', Name: 'kinds', Scope: 'local' });
    expect(await suite.must(['volume', 'ls', '-q', '-f', 'name=kinds'])).toBe('kinds\n');
    const netId = (await inspect('kinds-net', '{{.Id}}')).slice(0, 12);
    expect(
      await suite.must(['network', 'ls', '--format', '{{.ID}}: {{.Driver}}', '-f', 'name=kinds-net']),
    ).toBe(`${netId}: bridge\n`);
    expect(
      await suite.must([
        'network',
        'ls',
        '--format',
        'table {{.Name}}\t{{.Internal}}',
        '-f',
        'name=kinds-net',
      ]),
    ).toBe('NAME        INTERNAL\nkinds-net   false\n');
    expect(await suite.must(['network', 'ls', '-q', '-f', 'name=kinds-net'])).toBe(`${netId}\n`);
    const netJson = JSON.parse(
      await suite.must(['network', 'ls', '--format', '{{json .}}', '-f', 'name=kinds-net']),
    );
    expect(netJson).toMatchObject({
      Driver: 'bridge',
      IPv6: 'false',
      Internal: 'false',
      Labels: 'team=db',
      Name: 'kinds-net',
      Scope: 'local',
    });
    await suite.must(['volume', 'rm', 'kinds']);
    await suite.must(['network', 'rm', 'kinds-net']);
  });
});

describe('stats BLOCK I/O', () => {
  it('counts what the container reads and writes past the page cache on the disk under its root', async () => {
    // The suite's root (the overlay's upper directory) is on a block device, as /tmp is here.
    await suite.must(['run', '-d', '--name', 'disk', suite.image, 'sleep', '1000']);
    const blockIo = async () => {
      const text = (await suite.must(['stats', '--no-stream', '--format', '{{.BlockIO}}', 'disk'])).trim();
      return { text, ...blockIoBytes(text) };
    };
    const before = await blockIo();
    // O_DIRECT: every byte goes to the device, in this container's cgroup (io.stat or blkio).
    await suite.must([
      'exec',
      'disk',
      'dd',
      'if=/dev/zero',
      'of=/blockfile',
      'bs=1M',
      'count=8',
      'oflag=direct',
    ]);
    const written = await blockIo();
    expect(written.write - before.write, written.text).toBeGreaterThanOrEqual(8 * 1000 * 1000);
    await suite.must(['exec', 'disk', 'dd', 'if=/blockfile', 'of=/dev/null', 'bs=1M', 'iflag=direct']);
    const read = await blockIo();
    expect(read.read - written.read, read.text).toBeGreaterThanOrEqual(8 * 1000 * 1000);
    await suite.must(['rm', '-f', 'disk']);
  });
});

describe('stats -a and --no-trunc', () => {
  it('-a adds the containers that are not running (as dashes); --no-trunc shows whole IDs', async () => {
    const up = firstLine(await suite.must(['run', '-d', '--name', 'st-up', suite.image, 'sleep', '1000']));
    const down = firstLine(await suite.must(['create', '--name', 'st-down', suite.image, 'true']));
    const rows = async (...flags: string[]) =>
      (await suite.must(['stats', '--no-stream', ...flags, '--format', '{{.ID}} {{.Name}} {{.MemUsage}}']))
        .split('\n')
        .filter((line) => / st-(up|down) /.test(line))
        .sort();
    const running = await rows();
    expect(running).toHaveLength(1);
    expect(running[0]).toMatch(new RegExp(`^${up.slice(0, 12)} st-up \\S+ / \\S+$`));
    const all = await rows('-a');
    expect(all).toHaveLength(2);
    expect(all).toContain(`${down.slice(0, 12)} st-down --`);
    const whole = await rows('-a', '--no-trunc');
    expect(whole).toContain(`${down} st-down --`);
    expect(whole.some((line) => line.startsWith(`${up} st-up `))).toBe(true);
    await suite.must(['rm', '-f', 'st-up', 'st-down']);
  });
});

describe('--ipc', () => {
  it('container:NAME shares the IPC namespace and /dev/shm of a shareable container; host shares the host ones', async () => {
    await suite.must([
      'run',
      '-d',
      '--name',
      'shm-owner',
      '--ipc',
      'shareable',
      '--shm-size',
      '8m',
      suite.image,
      'sleep',
      '1000',
    ]);
    await suite.must(['exec', 'shm-owner', 'sh', '-c', 'echo from-owner > /dev/shm/note']);
    const joined = await suite.must([
      'run',
      '--rm',
      '--ipc',
      'container:shm-owner',
      suite.image,
      'sh',
      '-c',
      'cat /dev/shm/note; echo from-joiner > /dev/shm/reply; readlink /proc/self/ns/ipc; df -k /dev/shm | tail -1',
    ]);
    const [note, ns, df] = joined.trim().split('\n');
    expect(note).toBe('from-owner');
    expect(ns).toBe((await suite.must(['exec', 'shm-owner', 'readlink', '/proc/self/ns/ipc'])).trim());
    expect(df).toMatch(/^\S+\s+8192\s/);
    expect((await suite.must(['exec', 'shm-owner', 'cat', '/dev/shm/reply'])).trim()).toBe('from-joiner');
    // A private container (the default) has its own.
    expect(await suite.must(['run', '--rm', suite.image, 'ls', '/dev/shm'])).toBe('');
    // The host's IPC namespace and /dev/shm.
    const hostNs = (await import('node:fs')).readlinkSync('/proc/self/ns/ipc');
    const name = `koker-e2e-shm-${process.pid}`;
    (await import('node:fs')).writeFileSync(`/dev/shm/${name}`, 'host');
    try {
      expect(
        await suite.must([
          'run',
          '--rm',
          '--ipc',
          'host',
          suite.image,
          'sh',
          '-c',
          `readlink /proc/self/ns/ipc; cat /dev/shm/${name}`,
        ]),
      ).toBe(`${hostNs}\nhost`);
    } finally {
      (await import('node:fs')).rmSync(`/dev/shm/${name}`, { force: true });
    }
    await suite.must(['rm', '-f', 'shm-owner']);
  });
});

describe("templates and filters as Docker's documentation shows them", () => {
  it('inspect and ps templates from docs.docker.com give what Docker gives', async () => {
    await suite.must(['volume', 'create', 'doc-vol']);
    const id = firstLine(
      await suite.must([
        'run',
        '-d',
        '--name',
        'DocBox',
        '-v',
        'doc-vol:/data',
        '--health-cmd',
        'true',
        '--health-interval',
        '1s',
        suite.image,
        'sleep',
        '1000',
      ]),
    );
    // docs.docker.com/reference/cli/docker/inspect: the IP address on each network.
    expect(await inspect('DocBox', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}')).toMatch(
      /^\d+\.\d+\.\d+\.\d+$/,
    );
    // docs.docker.com/config/formatting: join, lower, upper, title, split, len, json, index, println.
    expect(await inspect('DocBox', '{{join .Args " , "}}')).toBe('1000');
    expect(await inspect('DocBox', '{{lower .Name}}')).toBe('/docbox');
    expect(await inspect('DocBox', '{{upper .Name}}')).toBe('/DOCBOX');
    expect(await inspect('DocBox', '{{title .Name}}')).toBe('/DocBox');
    expect(await inspect('DocBox', '{{split .Config.Image ":"}}')).toBe(
      `[${suite.image.split(':').join(' ')}]`,
    );
    expect(await inspect('DocBox', '{{len .Name}}')).toBe('7');
    expect(await inspect('DocBox', '{{json .Config.Cmd}}')).toBe('["sleep","1000"]');
    expect(await inspect('DocBox', '{{index .Config.Cmd 1}}')).toBe('1000');
    expect(await suite.must(['inspect', '-f', '{{println .Name}}', 'DocBox'])).toBe('/DocBox\n\n');
    // docs.docker.com/reference/cli/docker/container/ls: "{{.ID}}: {{.Command}}" and a table.
    expect(await suite.must(['ps', '--filter', 'name=DocBox', '--format', '{{.ID}}: {{.Command}}'])).toBe(
      `${id.slice(0, 12)}: "sleep 1000"\n`,
    );
    // ps --filter volume= and health=, as documented.
    expect(await suite.must(['ps', '-q', '--filter', 'volume=doc-vol'])).toBe(`${id.slice(0, 12)}\n`);
    expect(await suite.must(['ps', '-q', '--filter', 'volume=/data'])).toBe(`${id.slice(0, 12)}\n`);
    expect(await suite.must(['ps', '-q', '--filter', 'volume=nothing'])).toBe('');
    await waitFor(
      async () => (await suite.must(['ps', '-q', '--filter', 'health=healthy'])) === `${id.slice(0, 12)}\n`,
      'DocBox healthy in ps --filter health=healthy',
      30_000,
    );
    expect(await suite.must(['ps', '-q', '--filter', 'health=unhealthy'])).toBe('');
    await suite.must(['rm', '-f', 'DocBox']);
    await suite.must(['volume', 'rm', 'doc-vol']);
  });
});

describe("the image's HEALTHCHECK and STOPSIGNAL; --pull; wait --condition", () => {
  it("runs the image's health check and sends its stop signal, unless the flags say otherwise", async () => {
    const { derivedImageArchive } = await import('../fixtures/derived-image.js');
    const image = await derivedImageArchive({
      tag: 'defaults:1',
      entries: [],
      config: {
        Healthcheck: { Test: ['CMD-SHELL', 'test -e /tmp/ok'], Interval: 500_000_000, Retries: 1 },
        StopSignal: 'SIGQUIT',
      },
    });
    try {
      await suite.must(['load', '-q', '-i', image.archive]);
    } finally {
      image.remove();
    }
    const script = 'trap "exit 9" QUIT; touch /tmp/ok; while :; do sleep 0.1; done';
    await suite.must(['run', '-d', '--name', 'img-defaults', 'defaults:1', 'sh', '-c', script]);
    expect(await inspect('img-defaults', '{{.Config.StopSignal}} {{index .Config.Healthcheck.Test 1}}')).toBe(
      'SIGQUIT test -e /tmp/ok',
    );
    await waitFor(
      async () => (await inspect('img-defaults', '{{.State.Health.Status}}')) === 'healthy',
      "the image's check to pass",
      30_000,
    );
    await suite.must(['stop', 'img-defaults']);
    expect(await inspect('img-defaults', '{{.State.ExitCode}}')).toBe('9');
    await suite.must([
      'run',
      '-d',
      '--name',
      'img-nocheck',
      '--no-healthcheck',
      'defaults:1',
      'sleep',
      '1000',
    ]);
    expect(await suite.must(['ps', '--filter', 'name=img-nocheck', '--format', '{{.Status}}'])).not.toContain(
      'health',
    );
    // Docker keeps the switch in the config: Test ["NONE"], and no State.Health.
    expect(await inspect('img-nocheck', '{{json .Config.Healthcheck}} {{json .State.Health}}')).toBe(
      '{"Test":["NONE"]} null',
    );
    // The image's check (every 0.5 s, failing here: no /tmp/ok) never runs.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await inspect('img-nocheck', '{{json .State.Health}}')).toBe('null');
    await suite.must(['rm', '-f', 'img-defaults', 'img-nocheck']);
    await suite.must(['rmi', 'defaults:1']);
  });

  it('--pull never runs what is there and refuses what is not; --pull always pulls again', async () => {
    // After the second of any pull before.
    await new Promise((r) => setTimeout(r, 1100));
    const since = Math.floor(Date.now() / 1000);
    expect(await suite.must(['run', '--rm', '--pull', 'never', suite.image, 'echo', 'local'])).toBe(
      'local\n',
    );
    const refused = await suite.koker(['run', '--rm', '--pull', 'never', `${suite.image}-absent`]);
    expect(refused.code).toBe(125);
    expect(await suite.must(['run', '--rm', '--pull', 'always', suite.image, 'echo', 'pulled'])).toBe(
      'pulled\n',
    );
    // One pull: --pull never pulled nothing (the test before may have left other image events).
    expect((await eventsSince(since, '{{.Action}}', ['type=image'])).filter((a) => a === 'pull')).toEqual([
      'pull',
    ]);
  });

  it('wait --condition next-exit waits for the next end; removed waits for the record to go', async () => {
    await suite.must(['run', '-d', '--name', 'waiter', suite.image, 'sh', '-c', 'exit 4']);
    await waitFor(async () => (await inspect('waiter', '{{.State.Status}}')) === 'exited', 'waiter to end');
    expect(await suite.must(['wait', 'waiter'])).toBe('4\n');
    const nextExit = suite.koker(['wait', '--condition', 'next-exit', 'waiter']);
    await new Promise((r) => setTimeout(r, 300));
    await suite.must(['start', 'waiter']);
    expect((await nextExit).stdout).toBe('4\n');
    const removed = suite.koker(['wait', '--condition', 'removed', 'waiter']);
    await new Promise((r) => setTimeout(r, 300));
    await suite.must(['rm', 'waiter']);
    expect((await removed).stdout).toBe('4\n');
    expect((await suite.koker(['wait', '--condition', 'sometime', 'waiter'])).code).toBe(125);
  });
});
