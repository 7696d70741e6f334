import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, firstLine, startContainerSuite, type ContainerSuite } from './helpers/container-suite.js';

// Many koker processes at once on one root: records, names, addresses and teardowns stay whole.
let suite: ContainerSuite;
beforeAll(async () => {
  suite = await startContainerSuite();
});
afterAll(async () => {
  await suite?.stop();
  expect(suite?.leaks() ?? []).toEqual([]);
});

const COUNT = 20;

interface Row {
  ID: string;
  Names: string;
  State: string;
  Status: string;
}
interface Inspected {
  Id: string;
  Name: string;
  State: { Running: boolean; Pid: number; ExitCode: number; Status: string };
  NetworkSettings: { IPAddress: string };
}

const rows = (text: string): Row[] =>
  text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Row);

describe(`${COUNT} detached containers at once`, () => {
  it('run, ps, exec into each, stop and rm, all consistent', { timeout: 600_000 }, async () => {
    const names = Array.from({ length: COUNT }, (_, i) => `par${i}`);
    // Half named, half with generated names: both must stay unique under concurrency.
    const started = await Promise.all(
      names.map((name, i) =>
        suite.koker(['run', '-d', ...(i % 2 === 0 ? ['--name', name] : []), suite.image, 'sleep', '1000']),
      ),
    );
    for (const result of started)
      expect(result.stderr.split('\n').filter((l) => / ERR /.test(l))).toEqual([]);
    expect(started.map((r) => r.code)).toEqual(names.map(() => 0));
    const ids = started.map((r) => firstLine(r.stdout));
    expect(new Set(ids).size).toBe(COUNT);

    const listed = rows(await suite.must(['ps', '--format', 'json', '--no-trunc']));
    expect(listed.map((r) => r.ID).sort()).toEqual([...ids].sort());
    expect(listed.every((r) => r.State === 'running' && r.Status.startsWith('Up '))).toBe(true);
    expect(new Set(listed.map((r) => r.Names)).size).toBe(COUNT);
    for (let i = 0; i < COUNT; i += 2) expect(listed.find((r) => r.ID === ids[i])?.Names).toBe(names[i]);

    const docs = JSON.parse(await suite.must(['inspect', ...ids])) as Inspected[];
    expect(docs.map((d) => d.Id)).toEqual(ids);
    const addresses = docs.map((d) => d.NetworkSettings.IPAddress);
    expect(new Set(addresses).size).toBe(COUNT);
    for (const address of addresses) expect(address.startsWith(`${suite.subnetPrefix}.`)).toBe(true);
    const pids = docs.map((d) => d.State.Pid);
    expect(pids.every(alive)).toBe(true);

    // exec into each at once: its own hostname, its own address on eth0.
    const execs = await Promise.all(
      ids.map((id) => suite.koker(['exec', id, 'sh', '-c', 'hostname; ip -4 -o addr show eth0'])),
    );
    execs.forEach((result, i) => {
      expect(result.code).toBe(0);
      const [hostname, address] = result.stdout.trim().split('\n');
      expect(hostname).toBe(ids[i]?.slice(0, 12));
      expect(address).toContain(` ${addresses[i]}/24 `);
    });

    // Stopped by several koker processes at once, some with many containers each.
    const groups = [ids.slice(0, 5), ids.slice(5, 10), ...ids.slice(10).map((id) => [id])];
    const stops = await Promise.all(groups.map((group) => suite.koker(['stop', '-t', '1', ...group])));
    expect(stops.map((r) => r.code)).toEqual(groups.map(() => 0));
    const stopped = rows(await suite.must(['ps', '-a', '--format', 'json', '--no-trunc']));
    expect(stopped).toHaveLength(COUNT);
    expect(stopped.every((r) => r.State === 'exited' && /^Exited \(137\) /.test(r.Status))).toBe(true);
    expect(pids.some(alive)).toBe(false);
    expect(await suite.must(['ps', '-q'])).toBe('');

    const removals = await Promise.all(groups.map((group) => suite.koker(['rm', ...group])));
    expect(removals.map((r) => r.code)).toEqual(groups.map(() => 0));
    expect(await suite.must(['ps', '-aq'])).toBe('');
    expect(suite.containerDirs()).toEqual([]);
    expect(suite.containerLeaks()).toEqual([]);
  });
});
