import { describe, expect, it } from 'vitest';
import { InvalidValueError, UsageError } from '@koker/core';
import {
  parseAttach,
  parseBooleanFlag,
  parseDuration,
  parseHealthFlags,
  parseIpcMode,
  parseLabels,
  parseOomScoreAdj,
  parsePidMode,
  parseShmSize,
  parseStopSignal,
  parseStopTimeout,
  parseSysctl,
  parseUlimit,
  parseUlimits,
  parseUtsMode,
} from '../src/run/run-option-flags.js';
import { runRequestFromFlags } from '../src/run/run-request.js';

const bridge = { network: 'bridge', ipcHost: false, utsHost: false } as const;

describe('run option flags', () => {
  it('--ulimit: SOFT[:HARD], -1 unlimited, the last of a name wins', () => {
    expect(parseUlimit('nofile=1024:2048')).toEqual({ type: 'nofile', soft: 1024, hard: 2048 });
    expect(parseUlimit('core=0')).toEqual({ type: 'core', soft: 0, hard: 0 });
    expect(parseUlimit('memlock=-1:-1')).toEqual({ type: 'memlock', soft: 'unlimited', hard: 'unlimited' });
    expect(parseUlimits(['nproc=10', 'nproc=20:30'])).toEqual([{ type: 'nproc', soft: 20, hard: 30 }]);
    for (const bad of [
      'nofile',
      'nofile=',
      'nofile=a',
      'nofile=2:1',
      'nofile=1:2:3',
      'files=1',
      'nofile=-1:5',
    ])
      expect(() => parseUlimit(bad), bad).toThrow(/--ulimit/);
  });

  it('--sysctl: namespaced parameters only, and only of a namespace the container owns', () => {
    expect(parseSysctl('kernel.shmmax=100', bridge)).toEqual({ name: 'kernel.shmmax', value: '100' });
    expect(parseSysctl('fs.mqueue.msg_max=20', bridge).name).toBe('fs.mqueue.msg_max');
    expect(parseSysctl('net/ipv4/ip_forward=1', bridge)).toEqual({ name: 'net.ipv4.ip_forward', value: '1' });
    expect(parseSysctl('kernel.domainname=example', bridge).value).toBe('example');
    expect(() => parseSysctl('vm.swappiness=10', bridge)).toThrow(/--sysctl.*not allowed/);
    expect(() => parseSysctl('kernel.hostname=x', bridge)).toThrow(InvalidValueError);
    expect(() => parseSysctl('net.ipv4.ip_forward=1', { ...bridge, network: 'host' })).toThrow(
      /network host/,
    );
    expect(() => parseSysctl('kernel.sem=1', { ...bridge, ipcHost: true })).toThrow(/ipc host/);
    expect(() => parseSysctl('kernel.domainname=x', { ...bridge, utsHost: true })).toThrow(/uts host/);
    expect(() => parseSysctl('net.ipv4.ip_forward', bridge)).toThrow(/NAME=VALUE/);
    expect(() => parseSysctl('net..x=1', bridge)).toThrow(InvalidValueError);
  });

  it('--label and --label-file: files first, flags win, keys required', () => {
    const read = (path: string) => (path === 'f' ? '# c\na=1\n\nb=2\nflag\n' : '');
    expect(parseLabels(['b=3', 'c'], ['f'], read)).toEqual({ a: '1', b: '3', flag: '', c: '' });
    expect(() => parseLabels(['=x'], [], read)).toThrow(/--label/);
    expect(() =>
      runRequestFromFlags(
        'busybox',
        [],
        { labelFile: ['missing'] },
        {
          hostEnv: {},
          readFile: () => {
            throw new Error('ENOENT');
          },
        },
      ),
    ).toThrow(/--label-file/);
  });

  it('the stop, shm and OOM flags', () => {
    expect(parseStopSignal('usr1')).toBe('SIGUSR1');
    expect(parseStopSignal('SIGTERM')).toBe('SIGTERM');
    expect(parseStopSignal('9')).toBe('9');
    expect(() => parseStopSignal('NOPE')).toThrow(/--stop-signal/);
    expect(parseStopTimeout('3')).toBe(3);
    expect(() => parseStopTimeout('1.5')).toThrow(/--stop-timeout/);
    expect(parseShmSize('32m')).toBe(32 * 1024 * 1024);
    expect(() => parseShmSize('0')).toThrow(/--shm-size/);
    expect(() => parseShmSize('lots')).toThrow(/--shm-size/);
    expect(parseOomScoreAdj('-1000')).toBe(-1000);
    expect(() => parseOomScoreAdj('1001')).toThrow(/--oom-score-adj/);
  });

  it('namespace modes', () => {
    expect(parseUtsMode('host')).toBe('host');
    expect(() => parseUtsMode('private')).toThrow(/--uts/);
    expect(parsePidMode('host')).toBe('host');
    expect(parsePidMode('container:web')).toEqual({ containerRef: 'web' });
    expect(() => parsePidMode('container:')).toThrow(/--pid/);
    expect(parseIpcMode('shareable')).toBe('shareable');
    expect(parseIpcMode('container:db')).toEqual({ containerRef: 'db' });
    expect(() => parseIpcMode('none')).toThrow(/--ipc/);
  });

  it('-a and --sig-proxy', () => {
    expect(parseAttach(['STDOUT', 'stderr'])).toEqual(['stdout', 'stderr']);
    expect(() => parseAttach(['stdlog'])).toThrow(/--attach/);
    expect(parseBooleanFlag('--sig-proxy', undefined, true)).toBe(true);
    expect(parseBooleanFlag('--sig-proxy', 'false', true)).toBe(false);
    expect(() => parseBooleanFlag('--sig-proxy', 'maybe', true)).toThrow(/--sig-proxy/);
  });
});

describe('health flags', () => {
  it('Go durations', () => {
    expect(parseDuration('--health-interval', '1m30s')).toBe(90_000);
    expect(parseDuration('--health-interval', '500ms')).toBe(500);
    expect(parseDuration('--health-interval', '1.5s')).toBe(1500);
    expect(parseDuration('--health-interval', '0')).toBe(0);
    for (const bad of ['10', '1x', 's', '1s2', ''])
      expect(() => parseDuration('--health-interval', bad), bad).toThrow(/--health-interval/);
  });

  it('--health-* and --no-healthcheck', () => {
    expect(parseHealthFlags({ healthCmd: 'true', healthInterval: '2s', healthRetries: '4' })).toEqual({
      cmd: 'true',
      intervalMs: 2000,
      retries: 4,
    });
    expect(parseHealthFlags({ healthcheck: false })).toEqual({ none: true });
    expect(parseHealthFlags({ healthcheck: true })).toEqual({});
    expect(() => parseHealthFlags({ healthcheck: false, healthCmd: 'true' })).toThrow(UsageError);
    expect(() => parseHealthFlags({ healthRetries: '-1' })).toThrow(/--health-retries/);
    expect(() => parseHealthFlags({ healthCmd: ' ' })).toThrow(/--health-cmd/);
  });
});

describe('run option flags -> RunRequest', () => {
  const context = { hostEnv: {}, readFile: () => '' };

  it('carries each value typed, and refuses conflicts', () => {
    const request = runRequestFromFlags(
      'busybox',
      [],
      {
        ulimit: ['nofile=10:20'],
        groupAdd: ['audio', '1234'],
        label: ['a=b'],
        stopSignal: 'hup',
        stopTimeout: '5',
        shmSize: '1g',
        sysctl: ['kernel.sem=250 32000 32 128'],
        oomScoreAdj: '-5',
        uts: 'host',
        pid: 'host',
        ipc: 'shareable',
        restart: 'on-failure:3',
      },
      context,
    );
    expect(request).toMatchObject({
      process: { rlimits: [{ type: 'nofile', soft: 10, hard: 20 }], groupAdd: ['audio', '1234'] },
      labels: { a: 'b' },
      stopSignal: 'SIGHUP',
      stopTimeout: 5,
      shmSize: 1024 ** 3,
      sysctls: { 'kernel.sem': '250 32000 32 128' },
      oomScoreAdj: -5,
      namespaces: { uts: 'host', pid: 'host', ipc: 'shareable' },
      restartPolicy: { name: 'on-failure', maximumRetryCount: 3 },
    });
    expect(() => runRequestFromFlags('busybox', [], { restart: 'always', rm: true }, context)).toThrow(
      UsageError,
    );
    expect(() => runRequestFromFlags('busybox', [], { uts: 'host', hostname: 'x' }, context)).toThrow(
      UsageError,
    );
    expect(() => runRequestFromFlags('busybox', [], { uts: 'host', domainname: 'x' }, context)).toThrow(
      /domainname and the UTS mode/,
    );
    expect(() => runRequestFromFlags('busybox', [], { domainname: 'a b' }, context)).toThrow(/domainname/);
    expect(runRequestFromFlags('busybox', [], { domainname: 'example.org' }, context).domainname).toBe(
      'example.org',
    );
    expect(() => runRequestFromFlags('busybox', [], { pid: 'container:web' }, context)).toThrow(
      /no such container/,
    );
    expect(
      runRequestFromFlags(
        'busybox',
        [],
        { pid: 'container:web' },
        { ...context, containers: new Map([['web', 'a'.repeat(64) as never]]) },
      ).namespaces,
    ).toEqual({ pid: { container: 'a'.repeat(64) } });
    expect(runRequestFromFlags('busybox', [], { restart: 'no', ipc: 'private' }, context)).not.toHaveProperty(
      'restartPolicy',
    );
  });
});
