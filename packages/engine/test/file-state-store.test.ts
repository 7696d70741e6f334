import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, StateError, parseContainerName, type ContainerId } from '@koker/core';
import { FileStateStore } from '../src/index.js';
import { idWithPrefix, named, sampleRecord } from './fixtures/state-record.js';

const run = promisify(execFile);
let root: string;
let store: FileStateStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'koker-state-'));
  store = new FileStateStore(root, undefined, { mountPoints: () => [] });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('FileStateStore records', { timeout: 30_000 }, () => {
  it('creates a record in its own directory and reads it back, as written', async () => {
    const input = sampleRecord({ name: named('web') });
    const created = await store.create(input);
    expect(created).toEqual(input);
    expect(await store.get(created.id)).toEqual(input);
    const onDisk = JSON.parse(await readFile(join(root, 'containers', created.id, 'config.json'), 'utf8'));
    expect(onDisk).toMatchObject({ schemaVersion: 1, id: created.id, name: 'web', status: 'created' });
    expect(store.directory(created.id)).toBe(join(root, 'containers', created.id));
  });

  it('generates a name when none is given, never one in use', async () => {
    const names = new Set<string>();
    for (let i = 0; i < 40; i++) names.add((await store.create(sampleRecord())).name);
    expect(names.size).toBe(40);
    for (const name of names) expect(() => parseContainerName(name)).not.toThrow();
  });

  it('refuses a name in use, naming the container that has it', async () => {
    const first = await store.create(sampleRecord({ name: named('db') }));
    const clash = store.create(sampleRecord({ name: named('db') }));
    await expect(clash).rejects.toBeInstanceOf(ConflictError);
    await expect(clash).rejects.toThrow(
      `the container name "/db" is already in use by container "${first.id}"`,
    );
    expect((await store.list()).records).toHaveLength(1);
  });

  it('finds a container by full ID, by name, and by a unique ID prefix', async () => {
    const a = await store.create(sampleRecord({ id: idWithPrefix('abc1'), name: named('alpha') }));
    const b = await store.create(sampleRecord({ id: idWithPrefix('abc2'), name: named('beta') }));
    expect((await store.find(a.id)).name).toBe('alpha');
    expect((await store.find('beta')).id).toBe(b.id);
    expect((await store.find('/beta')).id).toBe(b.id);
    expect((await store.find('abc1')).id).toBe(a.id);
    expect((await store.find(b.id.slice(0, 12))).id).toBe(b.id);
    await expect(store.find('abc')).rejects.toThrow(
      'container ID prefix "abc" is ambiguous: it matches 2 containers',
    );
    await expect(store.find('abc')).rejects.toBeInstanceOf(ConflictError);
    await expect(store.find('fff')).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.find('nosuchname')).rejects.toThrow('no such container: nosuchname');
  });

  it('prefers a name to an ID prefix, as Docker does', async () => {
    const byPrefix = await store.create(sampleRecord({ id: idWithPrefix('cafe') }));
    const byName = await store.create(sampleRecord({ name: named('cafe') }));
    expect((await store.find('cafe')).id).toBe(byName.id);
    expect((await store.find(byPrefix.id.slice(0, 6))).id).toBe(byPrefix.id);
  });

  it('lists records oldest first', async () => {
    const older = await store.create(sampleRecord({ created: '2024-01-01T00:00:00.000Z' }));
    const newer = await store.create(sampleRecord({ created: '2024-01-02T00:00:00.000Z' }));
    expect((await store.list()).records.map((r) => r.id)).toEqual([older.id, newer.id]);
  });

  it('updates a record atomically and keeps the ID and unique names', async () => {
    const a = await store.create(sampleRecord({ name: named('one') }));
    await store.create(sampleRecord({ name: named('two') }));
    const updated = await store.update(a.id, (r) => ({ ...r, status: 'running', pid: 4242 }));
    expect(updated).toMatchObject({ status: 'running', pid: 4242 });
    expect(await store.get(a.id)).toEqual(updated);
    await expect(store.update(a.id, (r) => ({ ...r, name: named('two') }))).rejects.toBeInstanceOf(
      ConflictError,
    );
    await expect(store.update(a.id, (r) => ({ ...r, id: idWithPrefix('00') }))).rejects.toBeInstanceOf(
      StateError,
    );
    await expect(store.update(idWithPrefix('dead'), (r) => r)).rejects.toBeInstanceOf(NotFoundError);
    // No temporary file is left behind by the writes.
    expect((await readdir(store.directory(a.id))).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('removes a record and its directory; removing twice is fine', async () => {
    const a = await store.create(sampleRecord());
    await writeFile(join(store.directory(a.id), 'container.log'), 'x');
    await store.remove(a.id);
    await expect(store.get(a.id)).rejects.toBeInstanceOf(NotFoundError);
    expect(await readdir(join(root, 'containers'))).toEqual(['.lock']);
    await store.remove(a.id);
  });

  it('refuses to remove a directory something is mounted under', async () => {
    const a = await store.create(sampleRecord());
    const mounted = new FileStateStore(root, undefined, {
      mountPoints: () => ['/proc', join(store.directory(a.id), 'rootfs')],
    });
    await expect(mounted.remove(a.id)).rejects.toThrow(/refusing to remove .*rootfs is mounted in it/);
    expect((await store.get(a.id)).id).toBe(a.id);
  });

  it('sweeps the staging and trash directories a crash leaves', async () => {
    await store.create(sampleRecord());
    const staging = join(root, 'containers', `.new-${'a'.repeat(64)}`);
    const trash = join(root, 'containers', `.removing-${'b'.repeat(64)}`);
    await mkdir(staging);
    await mkdir(join(trash, 'sub'), { recursive: true });
    expect((await store.sweep()).sort()).toEqual([staging, trash].sort());
    expect((await store.list()).records).toHaveLength(1);
  });
});

describe('FileStateStore with broken records', { timeout: 30_000 }, () => {
  async function breakRecord(id: ContainerId, content: string | undefined) {
    const file = join(store.directory(id), 'config.json');
    if (content === undefined) await rm(file);
    else await writeFile(file, content);
  }

  it('lists broken records apart, with the reason, and still lists the good ones', async () => {
    const good = await store.create(sampleRecord({ name: named('good') }));
    const truncated = await store.create(sampleRecord());
    const wrongField = await store.create(sampleRecord());
    const missing = await store.create(sampleRecord());
    await breakRecord(truncated.id, '{"schemaVersion": 1, "id": "');
    await breakRecord(wrongField.id, JSON.stringify({ ...wrongField, schemaVersion: 1, status: 'dancing' }));
    await breakRecord(missing.id, undefined);
    const listing = await store.list();
    expect(listing.records.map((r) => r.id)).toEqual([good.id]);
    const reasons = new Map(listing.broken.map((b) => [b.id, b.reason]));
    expect(reasons.get(truncated.id)).toMatch(/^config\.json is corrupt: not JSON/);
    expect(reasons.get(wrongField.id)).toBe(
      'config.json is corrupt: status: expected one of created, running, exited',
    );
    expect(reasons.get(missing.id)).toBe('config.json is missing');
  });

  it('rejects a record whose ID is not its directory', async () => {
    const a = await store.create(sampleRecord());
    const other = idWithPrefix('0f');
    await breakRecord(a.id, JSON.stringify({ ...a, schemaVersion: 1, id: other }));
    expect((await store.list()).broken[0]?.reason).toBe(
      `config.json is corrupt: id: ${other} does not match its directory ${a.id}`,
    );
  });

  it('reports a broken record to the command that meets it, and lets it be removed', async () => {
    const a = await store.create(sampleRecord({ id: idWithPrefix('beef') }));
    await breakRecord(a.id, 'garbage');
    await expect(store.find('beef')).rejects.toBeInstanceOf(StateError);
    await expect(store.find('beef')).rejects.toThrow(
      /^the record of container beef[0-9a-f]{8} is broken: config\.json is corrupt/,
    );
    expect(await store.resolve('beef')).toBe(a.id);
    await store.remove(a.id);
    expect(await store.list()).toEqual({ records: [], broken: [] });
  });

  it('does not let a broken record block creating others', async () => {
    const a = await store.create(sampleRecord());
    await breakRecord(a.id, '');
    await store.create(sampleRecord({ name: named('next') }));
    expect((await store.find('next')).name).toBe('next');
  });
});

describe('FileStateStore locks', { timeout: 30_000 }, () => {
  it('tells whether a container lock and its keeper lock are held, and drops them on release', async () => {
    const a = await store.create(sampleRecord());
    expect(store.isLocked(a.id)).toBe(false);
    expect(store.isKept(a.id)).toBe(false);
    const lock = await store.lockContainer(a.id);
    const keeper = await store.holdKeeper(a.id);
    // flock locks belong to the open file: a second open in this process does not see its own lock
    // as free, so this also shows what another process sees.
    expect(store.isLocked(a.id)).toBe(true);
    expect(store.isKept(a.id)).toBe(true);
    await expect(store.lockContainer(a.id, { timeoutMs: 50 })).rejects.toThrow(
      /timed out after 50 ms waiting for the lock on container [0-9a-f]{12}/,
    );
    lock.release();
    keeper.release();
    lock.release();
    expect(store.isLocked(a.id)).toBe(false);
    expect(store.isKept(a.id)).toBe(false);
    (await store.lockContainer(a.id, { timeoutMs: 50 })).release();
  });

  it('creates a record with its container lock already held', async () => {
    const { record, lock } = await store.createLocked(sampleRecord());
    expect(store.isLocked(record.id)).toBe(true);
    expect((await store.get(record.id)).id).toBe(record.id);
    lock.release();
    expect(store.isLocked(record.id)).toBe(false);
  });

  it('sees a lock as free once its holder is killed', async () => {
    const a = await store.create(sampleRecord());
    const holder = join(root, 'holder.mjs');
    await writeFile(
      holder,
      `import { FileStateStore } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
       const s = new FileStateStore(process.argv[2]);
       await s.holdKeeper(process.argv[3]);
       process.stdout.write('held\\n');
       setInterval(() => {}, 1000);`,
    );
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [holder, root, a.id], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    expect(store.isKept(a.id)).toBe(true);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(store.isKept(a.id)).toBe(false);
  });

  it('keeps every record whole when several processes create and update at once', async () => {
    const counter = await store.create(sampleRecord({ name: named('counter'), exitCode: 0 }));
    const workers = 6;
    const perWorker = 12;
    const worker = new URL('./fixtures/state-worker.mjs', import.meta.url).pathname;
    const outputs = await Promise.all(
      Array.from({ length: workers }, (_, w) =>
        run(process.execPath, [worker, root, String(w), String(perWorker), counter.id]),
      ),
    );
    const names = outputs.flatMap((o) => JSON.parse(o.stdout) as string[]);
    // Exactly one worker won the contested name; the others got a conflict.
    expect(names.filter((n) => n === 'contested')).toHaveLength(1);
    expect(names.filter((n) => n === 'conflict:contested')).toHaveLength(workers - 1);
    const listing = await store.list();
    expect(listing.broken).toEqual([]);
    expect(listing.records).toHaveLength(1 + workers * perWorker - (workers - 1));
    const allNames = listing.records.map((r) => r.name);
    expect(new Set(allNames).size).toBe(allNames.length);
    // No increment was lost: every read-modify-write ran under the lock.
    expect((await store.get(counter.id)).exitCode).toBe(workers * perWorker);
    expect(
      (await readdir(join(root, 'containers'))).filter((e) => e.startsWith('.') && e !== '.lock'),
    ).toEqual([]);
  }, 60_000);
});
