import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-registry.js';
import { KOKER_BIN, koker } from '../helpers/koker.js';
import { releaseKokerRoot } from '../helpers/koker-root.js';

// The device policy through the real `koker run`: Docker's defaults keep a container that may
// mknod (a default capability) away from the host's disks, while its own /dev keeps working.
let registry: FixtureRegistry;
let root: string;
let image: string;
beforeAll(async () => {
  registry = await fixtureRegistry();
  image = registry.images.busybox;
  root = mkdtempSync(join(tmpdir(), 'koker-e2e-devices-'));
});
afterAll(async () => {
  await registry?.stop();
  if (root) await releaseKokerRoot(root);
});

const run = (args: string[]) => koker(['--root', root, 'run', '--rm', '--network', 'none', ...args]);

/** A host loop device made inside the container, then written: the reproduction of the escape. */
const WRITE_LOOP = 'mknod /tmp/d b 7 0 && echo made && echo X | dd of=/tmp/d conv=notrunc 2>&1; echo "dd=$?"';

describe('device policy of koker run', () => {
  it('lets a node for a host loop device be made, but not written or read', async () => {
    const result = await run([image, 'sh', '-c', `${WRITE_LOOP}; dd if=/tmp/d of=/dev/null count=1 2>&1`]);
    expect(result.stdout).toContain('made');
    expect(result.stdout).toMatch(/can't open '\/tmp\/d': Operation not permitted[\s\S]*dd=1/);
    expect(result.stdout.match(/Operation not permitted/g)).toHaveLength(2);
  });

  it('keeps a world-writable node out of reach even of nobody without capabilities', async () => {
    // root makes the node in a shared directory (as an image layer would ship it), nobody uses it
    const result = await run([
      image,
      'sh',
      '-c',
      'mknod -m 666 /tmp/d b 7 0 && su -s /bin/sh nobody -c "echo X | dd of=/tmp/d conv=notrunc" 2>&1 || true',
    ]);
    expect(result.stdout).toContain('Operation not permitted');
  });

  it('keeps a world-writable node shipped in an image layer unusable, even as root', async () => {
    const write = (node: string) =>
      `echo X | dd of=${node} conv=notrunc 2>&1; dd if=${node} of=/dev/null count=1 2>&1`;
    const script = `stat -c "%F %t:%T %a" /shipped/loop0 /shipped/sda; ${write('/shipped/loop0')}; ${write('/shipped/sda')}`;
    for (const flags of [[], ['-u', '65534', '--cap-drop', 'ALL']]) {
      const result = await run([...flags, registry.images.devices, 'sh', '-c', script]);
      const lines = result.stdout.trim().split('\n');
      expect(lines.slice(0, 2), flags.join(' ')).toEqual([
        'block special file 7:0 666',
        'block special file 8:0 666',
      ]);
      expect(result.stdout.match(/Operation not permitted/g), result.stdout).toHaveLength(4);
    }
  });

  it('keeps /dev/null, /dev/zero, /dev/full, /dev/urandom and /dev/tty usable', async () => {
    const result = await run([
      image,
      'sh',
      '-c',
      'echo x > /dev/null && echo null; head -c 4 /dev/zero | wc -c; head -c 4 /dev/urandom | wc -c; ' +
        'head -c 4 /dev/random | wc -c; (echo x > /dev/full) 2>&1 | grep -c "No space"',
    ]);
    expect(result.stdout.trim().split('\n')).toEqual(['null', '4', '4', '4', '1']);
    expect(result.code).toBe(0);
  });

  it('gives a working pty with -t', () => {
    const result = spawnSync(
      'script',
      [
        '-qec',
        `${KOKER_BIN} -q --root ${root} run --rm --network none -t ${image} sh -c 'tty; echo hi > $(tty) && echo pty-ok'`,
        '/dev/null',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 },
    );
    const text = result.stdout.replace(/\r/g, '');
    expect(text).toContain('/dev/pts/0\nhi\npty-ok');
  });

  it("shows the host's devices in /dev with --privileged only", async () => {
    const script = 'stat -c "%F %t:%T" /dev/loop0 /dev/net/tun 2>&1; ls /dev/pts | grep -c ptmx';
    const privileged = await run(['--privileged', image, 'sh', '-c', script]);
    expect(privileged.stdout).toBe('block special file 7:0\ncharacter special file a:c8\n1\n');
    const confined = await run([image, 'sh', '-c', script]);
    expect(confined.stdout).toContain("can't stat '/dev/loop0'");
  });

  it('gives --privileged every device: the kernel log (c 1:11) opens, and only then', async () => {
    const read =
      'mknod /tmp/d c 1 11 && dd if=/tmp/d bs=8192 count=1 2>&1 >/dev/null | grep -c "not permitted"';
    expect((await run(['--privileged', image, 'sh', '-c', read])).stdout).toBe('0\n');
    expect((await run([image, 'sh', '-c', read])).stdout).toBe('1\n');
  });

  it('adds --device-cgroup-rule to the defaults: read a loop device, still not write it', async () => {
    const script =
      'mknod /tmp/d b 7 0 && dd if=/tmp/d of=/dev/null count=1 2>&1 | grep -c "not permitted"; ' +
      'echo X | dd of=/tmp/d conv=notrunc 2>&1 | grep -c "not permitted"';
    const result = await run(['--device-cgroup-rule', 'b 7:* r', image, 'sh', '-c', script]);
    expect(result.stdout).toBe('0\n1\n');
    const refused = await run(['--device-cgroup-rule', 'b 7 r', image, 'true']);
    expect(refused.code).toBe(125);
    expect(refused.stderr).toContain('invalid device cgroup rule');
  });

  it('makes a --device node in the container, usable with the permissions given only', async () => {
    const script =
      'stat -c "%F %t:%T" /dev/xvda /dev/sub/zero; dd if=/dev/xvda of=/dev/null count=1 2>&1 | grep -c "not permitted"; ' +
      'echo X | dd of=/dev/xvda conv=notrunc 2>&1 | grep -c "not permitted"; head -c 2 /dev/sub/zero | wc -c';
    const result = await run([
      '--device',
      '/dev/loop0:/dev/xvda:r',
      '--device',
      '/dev/zero:/dev/sub/zero',
      image,
      'sh',
      '-c',
      script,
    ]);
    expect(result.stdout.trim().split('\n')).toEqual([
      'block special file 7:0',
      'character special file 1:5',
      '0',
      '1',
      '2',
    ]);
    const refused = await run(['--device', '/etc/passwd', image, 'true']);
    expect(refused.code).toBe(125);
    expect(refused.stderr).toContain('/etc/passwd is not a device node');
  });

  it("runs in the container's own cgroup in every hierarchy", async () => {
    const started = await koker(['--root', root, 'run', '-d', '--network', 'none', image, 'sleep', '60']);
    const id = started.stdout.trim();
    try {
      const [doc] = JSON.parse((await koker(['--root', root, 'inspect', id])).stdout) as {
        State: { Pid: number };
      }[];
      const own = readFileSync(`/proc/${doc!.State.Pid}/cgroup`, 'utf8').trim().split('\n');
      const host = readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
      expect(own.map((l) => l.split(':').slice(0, 2).join(':'))).toEqual(
        host.map((l) => l.split(':').slice(0, 2).join(':')),
      );
      for (const line of own) expect(line, line).toMatch(new RegExp(`/koker[^/]*/${id}$`));
    } finally {
      await koker(['--root', root, 'rm', '-f', id]);
    }
  });
});
