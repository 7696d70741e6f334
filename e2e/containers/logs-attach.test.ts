import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KOKER_BIN, koker, type KokerResult } from '../helpers/koker.js';
import { firstLine, startContainerSuite, waitFor, type ContainerSuite } from './helpers/container-suite.js';

// Logs (drivers, rotation, reading big logs, a full disk) and attach (through the monitor's
// socket: attach, start -a -i, a foreground run, detach keys), as users see them.
let suite: ContainerSuite;
beforeAll(async () => {
  suite = await startContainerSuite();
});
afterAll(async () => {
  await suite?.stop();
  expect(suite?.leaks() ?? []).toEqual([]);
});

const NONE = ['--network', 'none'];
const PTY_SESSION = fileURLToPath(new URL('./helpers/pty-session.py', import.meta.url));

async function runDetached(...args: string[]): Promise<string> {
  return firstLine(await suite.must(['run', '-d', ...NONE, ...args]));
}

async function state(name: string): Promise<{ Status: string; Running: boolean; ExitCode: number }> {
  const [doc] = JSON.parse(await suite.must(['inspect', name])) as {
    State: { Status: string; Running: boolean; ExitCode: number };
  }[];
  if (!doc) throw new Error(`nothing inspected for ${name}`);
  return doc.State;
}

async function waitExited(name: string): Promise<void> {
  await waitFor(async () => (await state(name)).Status === 'exited', `${name} to exit`);
}

const containerDir = (id: string) => join(suite.root, 'containers', id);

type Step = { wait: string } | { send: string } | { resize: [number, number] };

/** `koker ARGS` on a terminal of its own (33 x 101), the steps played on it. */
function onTerminal(args: string[], steps: Step[]): { code: number; output: string; error: string | null } {
  const result = spawnSync(
    'python3',
    [PTY_SESSION, '33', '101', '--', KOKER_BIN, '-q', '--root', suite.root, ...args],
    {
      input: JSON.stringify(steps),
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 120_000,
    },
  );
  if (result.status !== 0) throw new Error(`pty session: ${result.stderr}`);
  const parsed = JSON.parse(result.stdout) as { code: number; output: string; error: string | null };
  return { ...parsed, output: parsed.output.replace(/\r/g, '') };
}

describe('log drivers', () => {
  it("writes json-file by default, in Docker's format; local and none on request", async () => {
    const id = await runDetached(suite.image, 'sh', '-c', 'echo one; echo "two \\"q\\"" >&2; printf three');
    await waitExited(id);
    const records = readFileSync(join(containerDir(id), 'container-json.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, string>);
    for (const record of records) {
      expect(Object.keys(record)).toEqual(['log', 'stream', 'time']);
      expect(record.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{1,9}Z$/);
    }
    expect(records.filter((r) => r.stream === 'stdout').map((r) => r.log)).toEqual(['one\n', 'three']);
    expect(records.filter((r) => r.stream === 'stderr').map((r) => r.log)).toEqual(['two "q"\n']);
    const logs = await suite.koker(['logs', id]);
    expect([logs.stdout, logs.stderr]).toEqual(['one\nthree', 'two "q"\n']);
    const stamped = await suite.must(['logs', '-t', id]);
    expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z one\n/);

    const local = await runDetached('--log-driver', 'local', suite.image, 'echo', 'in CRI');
    await waitExited(local);
    expect(readFileSync(join(containerDir(local), 'container.log'), 'utf8')).toMatch(
      /^\S+Z stdout F in CRI\n$/,
    );
    expect(await suite.must(['logs', local])).toBe('in CRI\n');

    const none = await runDetached('--log-driver', 'none', suite.image, 'echo', 'nowhere');
    await waitExited(none);
    expect(readdirSync(containerDir(none)).filter((f) => f.includes('.log') && f !== 'monitor.log')).toEqual(
      [],
    );
    expect(await suite.must(['logs', none])).toBe('');
    await suite.must(['rm', id, local, none]);
  });

  it('refuses an unknown driver or option with 125', async () => {
    for (const flags of [
      ['--log-driver', 'syslog'],
      ['--log-opt', 'max-size=ten'],
      ['--log-opt', 'labels=a'],
      ['--log-opt', 'max-file=0'],
      ['--log-driver', 'none', '--log-opt', 'max-size=1m'],
    ]) {
      const result = await suite.koker(['run', '--rm', ...NONE, ...flags, suite.image, 'true']);
      expect(result.code, flags.join(' ')).toBe(125);
      expect(result.stderr).toMatch(/invalid log (driver|option|size)/);
    }
  });

  it('rotates at max-size, keeps max-file files, and logs reads them all in order', async () => {
    const id = await runDetached(
      '--log-opt',
      'max-size=10k',
      '--log-opt',
      'max-file=3',
      suite.image,
      'sh',
      '-c',
      'i=0; while [ $i -lt 3000 ]; do echo "line $i"; i=$((i + 1)); done',
    );
    await waitExited(id);
    const files = readdirSync(containerDir(id))
      .filter((f) => f.startsWith('container-json.log'))
      .sort();
    expect(files).toEqual(['container-json.log', 'container-json.log.1', 'container-json.log.2']);
    for (const file of files) expect(statSync(join(containerDir(id), file)).size).toBeLessThanOrEqual(10_000);
    const shown = (await suite.must(['logs', id])).trimEnd().split('\n');
    expect(shown.at(-1)).toBe('line 2999');
    const first = Number(shown[0]?.split(' ')[1]);
    expect(shown).toEqual(Array.from({ length: 3000 - first }, (_, k) => `line ${first + k}`));
    expect(await suite.must(['logs', '--tail', '2', id])).toBe('line 2998\nline 2999\n');
    await suite.must(['rm', id]);
  });

  it('logs -f follows the output across rotations', async () => {
    const id = await runDetached(
      '--log-opt',
      'max-size=2k',
      '--log-opt',
      'max-file=100',
      suite.image,
      'sh',
      '-c',
      'i=0; while [ $i -lt 150 ]; do echo "line $i ........................................"; i=$((i + 1)); sleep 0.01; done',
    );
    const followed = await suite.koker(['logs', '-f', id]);
    expect(followed.code).toBe(0);
    expect(followed.stdout).toBe(
      Array.from({ length: 150 }, (_, i) => `line ${i} ........................................\n`).join(''),
    );
    expect(
      readdirSync(containerDir(id)).filter((f) => f.startsWith('container-json.log.')).length,
    ).toBeGreaterThan(3);
    await suite.must(['rm', id]);
  });

  it('--since and --until take times and durations as Docker does', async () => {
    const id = await runDetached(suite.image, 'sh', '-c', 'echo early; sleep 1.5; echo late');
    await waitExited(id);
    const stamped = (await suite.must(['logs', '-t', id])).trim().split('\n');
    const lateAt = stamped[1]?.split(' ')[0] ?? '';
    expect(await suite.must(['logs', '--since', lateAt, id])).toBe('late\n');
    expect(await suite.must(['logs', '--until', '2000-01-01', id])).toBe('');
    expect(await suite.must(['logs', '--since', '1h', id])).toBe('early\nlate\n');
    expect(await suite.must(['logs', '--since', String(Math.floor(Date.now() / 1000) + 60), id])).toBe('');
    expect((await suite.koker(['logs', '--since', 'soon', id])).code).toBe(1);
    await suite.must(['rm', id]);
  });
});

describe('attached runs', () => {
  it('logs a foreground run, and keeps the log across start (start -a shows the new output)', async () => {
    const run = await suite.koker([
      '-q',
      'run',
      '--name',
      'fg',
      ...NONE,
      suite.image,
      'sh',
      '-c',
      'echo out; echo err >&2; exit 3',
    ]);
    expect([run.code, run.stdout, run.stderr]).toEqual([3, 'out\n', 'err\n']);
    const logs = await suite.koker(['logs', 'fg']);
    expect([logs.stdout, logs.stderr]).toEqual(['out\n', 'err\n']);
    const again = await suite.koker(['-q', 'start', '-a', 'fg']);
    expect([again.code, again.stdout, again.stderr]).toEqual([3, 'out\n', 'err\n']);
    expect(await suite.must(['logs', 'fg'])).toBe('out\nout\n');
    expect((await state('fg')).ExitCode).toBe(3);
    await suite.must(['rm', 'fg']);
  });

  it("start -a -i gives the container koker's stdin, closed at its end", async () => {
    await runDetached('-i', '--name', 'catter', suite.image, 'sh', '-c', 'cat; echo done');
    await suite.must(['stop', '-t', '0', 'catter']);
    const result = await suite.koker(['start', '-a', '-i', 'catter'], { input: 'hello\n' });
    expect([result.code, result.stdout]).toEqual([0, 'hello\ndone\n']);
    expect(await suite.must(['logs', 'catter'])).toBe('hello\ndone\n');
    await suite.must(['rm', 'catter']);
  });

  it('attach on a terminal: live output and input, ctrl-p ctrl-q detaches, the exit code at the end', async () => {
    await runDetached('-it', '--name', 'term', suite.image, 'sh');
    const first = onTerminal(
      ['attach', 'term'],
      [
        { send: 'echo hi-$((40 + 2)); stty size\r' },
        { wait: 'hi-42' },
        { wait: '33 101' },
        { send: '\x10\x11' },
      ],
    );
    expect(first.error).toBeNull();
    expect(first.code).toBe(0);
    expect((await state('term')).Running).toBe(true);
    const second = onTerminal(
      ['attach', '--detach-keys', 'ctrl-a,x', 'term'],
      [{ send: 'echo again\r' }, { wait: 'again' }, { send: 'exit 7\r' }],
    );
    expect(second.error).toBeNull();
    expect(second.code).toBe(7);
    await waitExited('term');
    expect((await state('term')).ExitCode).toBe(7);
    expect(await suite.must(['logs', 'term'])).toContain('hi-42');
    const stopped = await suite.koker(['attach', 'term']);
    expect(stopped.code).not.toBe(0);
    expect(stopped.stderr).toContain('You cannot attach to a stopped container, start it first');
    await suite.must(['rm', 'term']);
  });

  it('run -it goes through the monitor: its terminal size, resizes, input, detach keys', async () => {
    const session = onTerminal(
      [
        'run',
        '-it',
        '--name',
        'tty-run',
        ...NONE,
        suite.image,
        'sh',
        '-c',
        'tty; stty size; read x; echo got-$x; trap "stty size" WINCH; while :; do sleep 0.1; done',
      ],
      [
        { wait: '33 101' },
        { send: 'abc\r' },
        { wait: 'got-abc' },
        { resize: [40, 120] },
        { wait: '40 120' },
        { send: '\x10\x11' },
      ],
    );
    expect(session.error, JSON.stringify(session.output)).toBeNull();
    expect(session.output).toContain('/dev/pts/0\n33 101\n');
    expect(session.code).toBe(0);
    expect((await state('tty-run')).Running).toBe(true);
    expect(await suite.must(['logs', 'tty-run'])).toContain('got-abc');
    await suite.must(['rm', '-f', 'tty-run']);
  });

  it('run without a terminal passes signals to the container (--sig-proxy)', async () => {
    const child = spawn(
      KOKER_BIN,
      [
        '--root',
        suite.root,
        'run',
        '--rm',
        ...NONE,
        suite.image,
        'sh',
        '-c',
        'trap "echo got TERM; exit 42" TERM; echo ready; while :; do sleep 0.1; done',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, KOKER_CONFIG: join(suite.root, 'config.json') },
      },
    );
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const code = new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    await waitFor(() => stdout.includes('ready'), 'the trap');
    child.kill('SIGTERM');
    expect(await code).toBe(42);
    expect(stdout).toBe('ready\ngot TERM\n');
  });
});

describe('big logs', () => {
  it('logs of a 300 MiB log stays under 150 MB, and --tail takes under a second more than on a small log', async () => {
    const big = await runDetached(suite.image, 'echo', 'first');
    const small = await runDetached(suite.image, 'echo', 'small');
    await waitExited(big);
    await waitExited(small);
    // 300 MiB of records in the current file, written as the monitor would (the container would take minutes).
    const path = join(containerDir(big), 'container-json.log');
    const record = `${JSON.stringify({ log: `${'x'.repeat(200)}\n`, stream: 'stdout', time: '2030-01-01T00:00:00.000000000Z' })}\n`;
    const block = record.repeat(Math.ceil((4 << 20) / record.length));
    const blocks = Math.ceil((300 << 20) / block.length);
    for (let i = 0; i < blocks; i++) writeFileSync(path, block, { flag: 'a' });
    writeFileSync(
      path,
      `${JSON.stringify({ log: 'last\n', stream: 'stdout', time: '2030-01-01T00:00:01Z' })}\n`,
      { flag: 'a' },
    );
    expect(statSync(path).size).toBeGreaterThan(300 << 20);

    const env = { ...process.env, KOKER_CONFIG: join(suite.root, 'config.json') };
    const measured = spawnSync('/usr/bin/time', ['-f', '%M', KOKER_BIN, '--root', suite.root, 'logs', big], {
      env,
      encoding: 'utf8',
      maxBuffer: 1 << 30,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    expect(measured.status).toBe(0);
    const maxRssKiB = Number(measured.stderr.trim().split('\n').at(-1));
    expect(maxRssKiB).toBeGreaterThan(0);
    expect(maxRssKiB * 1024).toBeLessThan(150e6);

    const timed = async (id: string) => {
      const start = process.hrtime.bigint();
      const result: KokerResult = await koker(['--root', suite.root, 'logs', '--tail', '1', id], { env });
      return { ms: Number(process.hrtime.bigint() - start) / 1e6, result };
    };
    // The best of three of each: the start-up of koker is the same, what --tail reads is not.
    const bigRuns = [await timed(big), await timed(big), await timed(big)];
    const smallRuns = [await timed(small), await timed(small), await timed(small)];
    expect(bigRuns[0]?.result.stdout).toBe('last\n');
    expect(smallRuns[0]?.result.stdout).toBe('small\n');
    const best = (runs: { ms: number }[]) => Math.min(...runs.map((r) => r.ms));
    expect(best(bigRuns) - best(smallRuns)).toBeLessThan(1000);
    await suite.must(['rm', big, small]);
  });
});

describe('a full disk', () => {
  it('a container that fills the disk with its log keeps running, its end is recorded, and rm -f, logs, prune and run still work', async () => {
    const mountpoint = mkdtempSync(join(tmpdir(), 'koker-e2e-full-'));
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'koker-e2e-full', mountpoint]);
    expect(mounted.status).toBe(0);
    const root = join(mountpoint, 'root');
    const env = { KOKER_CONFIG: join(suite.root, 'config.json') };
    const k = (args: string[]) => koker(['--root', root, ...args], { env });
    const free = () => {
      const s = statfsSync(mountpoint);
      return s.bavail * s.bsize;
    };
    try {
      expect((await k(['pull', suite.image])).code).toBe(0);
      // Room to give back later: the monitor then says how much it dropped.
      const ballast = join(mountpoint, 'ballast');
      writeFileSync(ballast, Buffer.alloc(1 << 20));
      const run = await k([
        'run',
        '-d',
        ...NONE,
        '--name',
        'filler',
        suite.image,
        'sh',
        '-c',
        'while :; do echo 0123456789abcdef0123456789abcdef0123456789abcdef; done',
      ]);
      expect(run.code).toBe(0);
      await waitFor(() => free() < 64 * 1024, 'the disk to fill');
      await new Promise((r) => setTimeout(r, 500));
      expect((await state2(k, 'filler')).Running).toBe(true);
      rmSync(ballast);
      await new Promise((r) => setTimeout(r, 300));
      await waitFor(() => free() < 64 * 1024, 'the disk to fill again');

      const tail = await k(['logs', '--tail', '3', 'filler']);
      expect(tail.code).toBe(0);
      expect(tail.stdout).toContain('0123456789abcdef');
      const all = await k(['logs', 'filler']);
      expect(all.code).toBe(0);
      expect(all.stderr).toMatch(/koker: \d+ log records dropped \(no space left for the log\)/);

      expect((await k(['kill', 'filler'])).code).toBe(0);
      const dir = readdirSync(join(root, 'containers')).find((d) => /^[0-9a-f]{64}$/.test(d)) ?? '';
      await waitFor(() => existsSync(join(root, 'containers', dir, 'exit.json')), 'the exit record');
      const exit = JSON.parse(readFileSync(join(root, 'containers', dir, 'exit.json'), 'utf8')) as {
        exitCode: number;
        logDropped: number;
      };
      expect(exit.exitCode).toBe(137);
      expect(exit.logDropped).toBeGreaterThan(0);

      const removed = await k(['rm', '-f', 'filler']);
      expect(removed.code, removed.stderr).toBe(0);
      expect((await k(['system', 'prune', '-f'])).code).toBe(0);
      const again = await k(['run', '--rm', ...NONE, suite.image, 'echo', 'room again']);
      expect([again.code, again.stdout], again.stderr).toEqual([0, 'room again\n']);
    } finally {
      await k(['rm', '-f', 'filler']);
      await k(['system', 'prune', '-af']);
      spawnSync('umount', [mountpoint]);
      rmSync(mountpoint, { recursive: true, force: true });
    }
  });
});

async function state2(
  k: (args: string[]) => Promise<KokerResult>,
  name: string,
): Promise<{ Running: boolean }> {
  const result = await k(['inspect', name]);
  if (result.code !== 0) throw new Error(result.stderr);
  return (JSON.parse(result.stdout) as { State: { Running: boolean } }[])[0]?.State ?? { Running: false };
}
