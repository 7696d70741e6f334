// Tests of koker-init that need no root: the plan protocol, reports, the exec stage (PATH
// lookup, 126/127, exit codes and signals, no leaked fds). What needs root (namespaces, mounts,
// pivot_root, capabilities, users) is tested through the launcher in e2e/run/.
import { spawn } from 'node:child_process';
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = process.argv[2];
const encode = (ops) => Buffer.from(ops.map((op) => `${op}\0`).join(''));

/** Runs koker-init with `plan` (a Buffer or ops) on fd 3; collects stdout and the records. */
function run(plan, { env = ['PATH=/usr/bin:/bin'], as = [] } = {}) {
  return new Promise((resolve) => {
    const child = spawn(as[0] ?? bin, [...as.slice(1), ...(as.length ? [bin] : [])], {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let reports = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stdio[3].setEncoding('utf8').on('data', (d) => (reports += d));
    child.stdio[3].end(Buffer.isBuffer(plan) ? plan : encode(plan(env)));
    child.on('close', (code, signal) => {
      // Every record carries its CLOCK_MONOTONIC time (ns) after the kind, never going back.
      const times = [];
      const records = reports
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [kind, time, ...fields] = l.split('\t');
          assert.match(time, /^\d+$/, `no time in ${l}`);
          times.push(BigInt(time));
          return [kind, ...fields];
        });
      times.forEach((t, i) => assert.ok(i === 0 || t >= times[i - 1], 'report times go back'));
      resolve({ code, signal, stdout, records });
    });
  });
}

const exec =
  (argv, search = '/usr/bin:/bin') =>
  (env) => [
    'clone',
    '',
    'env',
    String(env.length),
    ...env,
    'exec',
    '0',
    search,
    String(argv.length),
    ...argv,
  ];
const kinds = (r) => r.records.map((x) => x[0]);
const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test('runs the command and reports pid, started and its exit code', async () => {
  const r = await run(exec(['sh', '-c', 'echo hello; exit 3']));
  assert.equal(r.stdout, 'hello\n');
  assert.equal(r.code, 3);
  assert.deepEqual(
    kinds(r).filter((k) => k !== 'log'),
    ['pid', 'started', 'exit'],
  );
  assert.deepEqual(r.records.at(-1), ['exit', 'code', '3']);
  assert.ok(r.records.some((x) => x[0] === 'log' && x[1] === 'Execute command' && x[3] === 'sh'));
});

test('exits 128+signal when the command is killed, and says which signal', async () => {
  const r = await run(exec(['sh', '-c', 'kill -9 $$']));
  assert.equal(r.code, 137);
  assert.deepEqual(r.records.at(-1), ['exit', 'signal', '9']);
});

test('looks the command up on the PATH it is given, not its own', async () => {
  const r = await run(exec(['sh', '-c', 'exit 0'], '/nonexistent'));
  assert.equal(r.code, 127);
  assert.deepEqual(
    r.records.find((x) => x[0] === 'error'),
    ['error', 'exec', 'execvp', 'ENOENT', 'sh'],
  );
  assert.ok(!kinds(r).includes('started'));
});

test('reports 126 for a file it cannot execute, 127 for a missing path', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'koker-native-test-'));
  try {
    writeFileSync(join(dir, 'script'), 'not a program');
    chmodSync(join(dir, 'script'), 0o644);
    const denied = await run(exec(['script'], dir));
    assert.equal(denied.code, 126);
    assert.deepEqual(
      denied.records.find((x) => x[0] === 'error'),
      ['error', 'exec', 'execvp', 'EACCES', 'script'],
    );
    const missing = await run(exec([join(dir, 'nope')]));
    assert.equal(missing.code, 127);
    assert.equal(missing.records.find((x) => x[0] === 'error')?.[3], 'ENOENT');
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('passes no file descriptor of its own to the command', async () => {
  const r = await run(exec(['sh', '-c', 'ls /proc/$$/fd; true']));
  assert.deepEqual(r.stdout.trim().split('\n'), ['0', '1', '2']);
});

// The helper's monitor stays while the command runs: the command is its child, so $PPID is the
// helper. Both run as one user without capabilities (nobody, when the test is root), as a
// container's process and the helper's own part in the container do: then only the helper's
// dumpable flag stands between the command and the helper's /proc entries.
const root = process.getuid?.() === 0;
const unprivileged = root
  ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all']
  : [];

test('is non-dumpable: its exe, maps and fds are closed to a process of its own user', async () => {
  const probe =
    'for f in exe maps fd/0; do if cat /proc/$PPID/$f >/dev/null 2>&1; then echo "$f readable"; else echo "$f denied"; fi; done';
  const r = await run(exec(['sh', '-c', probe]), { as: unprivileged });
  assert.deepEqual(r.stdout.trim().split('\n'), ['exe denied', 'maps denied', 'fd/0 denied']);
});

test('runs from a sealed memfd copy of itself, which no one can write, under its own name', async () => {
  const r = await run(
    exec([
      'sh',
      '-c',
      'cat /proc/$PPID/comm; readlink /proc/$PPID/exe || echo hidden; if printf x 2>/dev/null >>/proc/$PPID/exe; then echo written; else echo unwritable; fi',
    ]),
  );
  assert.deepEqual(r.stdout.trim().split('\n'), [
    'koker-init',
    root ? '/memfd:koker-init (deleted)' : 'hidden',
    'unwritable',
  ]);
});

test('gives the command exactly the environment of the plan', async () => {
  const r = await run(exec(['/usr/bin/env']), { env: ['A=1', 'PATH=/bin'] });
  assert.equal(r.stdout, 'A=1\nPATH=/bin\n');
});

test('escapes tabs, newlines and backslashes in report fields', async () => {
  const r = await run(exec(['/nonexistent/a\tb\nc\\d']));
  const line = r.records.find((x) => x[0] === 'error');
  assert.equal(line?.[4], '/nonexistent/a\\tb\\nc\\\\d');
});

test('refuses a truncated plan, an unknown op and missing arguments with 125', async () => {
  for (const plan of [
    Buffer.from('clone\0env\0'),
    encode(['clone', '', 'fly']),
    encode(['clone']),
    Buffer.from('clone'),
  ]) {
    const r = await run(plan);
    assert.equal(r.code, 125, plan.toString());
    assert.equal(r.records.find((x) => x[0] === 'error')?.[1], 'read plan');
  }
});

let failed = 0;
for (const { name, fn } of tests) {
  try {
    await fn();
    process.stdout.write(`ok   ${name}\n`);
  } catch (error) {
    failed++;
    process.stdout.write(`FAIL ${name}\n${error.stack}\n`);
  }
}
process.exitCode = failed ? 1 : 0;
