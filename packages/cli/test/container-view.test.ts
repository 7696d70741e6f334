import { describe, expect, it } from 'vitest';
import { type ContainerRecord } from '@koker/core';
import { type ObservedContainer } from '@koker/engine';
import { inspectDocument } from '../src/containers/inspect-view.js';
import { commandText, createdText, portsText, statusText } from '../src/output/container-view.js';
import { humanDuration } from '../src/output/human-duration.js';

const second = 1000;
const minute = 60 * second;
const hour = 60 * minute;
const day = 24 * hour;

const record = {
  id: 'c0ffee'.padEnd(64, '0'),
  name: 'web',
  image: { reference: 'busybox', id: `sha256:${'1'.repeat(64)}` },
  entrypoint: ['/bin/sh', '-c'],
  command: ['echo hello; sleep 1000'],
  env: ['PATH=/bin'],
  hostname: 'c0ffee000000',
  created: '2030-01-01T00:00:00.000Z',
  started: '2030-01-01T00:00:01.000Z',
  status: 'running',
  pid: 777,
  network: {
    mode: 'bridge',
    ipAddress: '10.69.0.5',
    gateway: '10.69.0.1',
    ports: [
      { hostIp: '0.0.0.0', hostPort: 8080, containerPort: 80, protocol: 'tcp' },
      { hostIp: '127.0.0.1', hostPort: 5353, containerPort: 53, protocol: 'udp' },
    ],
  },
  limits: { memory: 64 * 1024 * 1024, pidsLimit: 100 },
  autoRemove: false,
} as unknown as ContainerRecord;
const T0 = Date.parse('2030-01-01T00:00:00.000Z');

describe("Docker's wording", () => {
  it('says durations as go-units does', () => {
    expect(humanDuration(500)).toBe('Less than a second');
    expect(humanDuration(1 * second)).toBe('1 second');
    expect(humanDuration(59 * second)).toBe('59 seconds');
    expect(humanDuration(61 * second)).toBe('About a minute');
    expect(humanDuration(59 * minute)).toBe('59 minutes');
    expect(humanDuration(80 * minute)).toBe('About an hour');
    expect(humanDuration(47 * hour)).toBe('47 hours');
    expect(humanDuration(3 * day)).toBe('3 days');
    expect(humanDuration(20 * day)).toBe('2 weeks');
    expect(humanDuration(90 * day)).toBe('3 months');
    expect(humanDuration(800 * day)).toBe('2 years');
  });

  it('shows the status of running, exited, crashed and created containers', () => {
    const running: ObservedContainer = { status: 'running', running: true, stale: false };
    expect(statusText({ record, seen: running }, T0 + 6 * second)).toBe('Up 5 seconds');
    const exited: ObservedContainer = {
      status: 'exited',
      running: false,
      exitCode: 0,
      finished: '2030-01-01T00:01:00.000Z',
      stale: false,
    };
    expect(statusText({ record, seen: exited }, T0 + 3 * minute)).toBe('Exited (0) 2 minutes ago');
    const crashed: ObservedContainer = {
      status: 'exited',
      running: false,
      exitCode: 255,
      reason: 'its monitor died',
      stale: true,
    };
    expect(statusText({ record: { ...record, finished: undefined }, seen: crashed }, T0)).toBe(
      'Exited (255) (its monitor died)',
    );
    expect(statusText({ record, seen: { status: 'created', running: false, stale: false } }, T0)).toBe(
      'Created',
    );
    expect(createdText(record, T0 + 2 * hour)).toBe('2 hours ago');
  });

  it('quotes the command, cut at 20 characters unless asked not to', () => {
    expect(commandText(record, true)).toBe('"/bin/sh -c echo hel…"');
    expect(commandText(record, false)).toBe('"/bin/sh -c echo hello; sleep 1000"');
    expect(commandText({ ...record, entrypoint: [], command: ['sh'] }, true)).toBe('"sh"');
  });

  it('lists published ports', () => {
    expect(portsText(record.network.ports)).toBe('0.0.0.0:8080->80/tcp, 127.0.0.1:5353->53/udp');
    expect(portsText([])).toBe('');
  });
});

describe('inspect', () => {
  it("has Docker's core fields", () => {
    const doc = inspectDocument(record, { status: 'running', running: true, stale: false });
    expect(doc).toMatchObject({
      Id: record.id,
      Name: '/web',
      Path: '/bin/sh',
      Args: ['-c', 'echo hello; sleep 1000'],
      State: {
        Status: 'running',
        Running: true,
        Pid: 777,
        ExitCode: 0,
        OOMKilled: false,
        FinishedAt: '0001-01-01T00:00:00Z',
      },
      Config: {
        Image: 'busybox',
        Cmd: ['echo hello; sleep 1000'],
        Entrypoint: ['/bin/sh', '-c'],
        Env: ['PATH=/bin'],
      },
      HostConfig: { Memory: 67108864, PidsLimit: 100, NanoCpus: 0, MemorySwap: 0 },
      NetworkSettings: {
        IPAddress: '10.69.0.5',
        Ports: {
          '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }],
          '53/udp': [{ HostIp: '127.0.0.1', HostPort: '5353' }],
        },
      },
    });
    const ended = inspectDocument(
      { ...record, status: 'exited', oomKilled: true, finished: '2030-01-01T00:00:09Z' },
      { status: 'exited', running: false, exitCode: 137, stale: false },
    );
    expect(ended.State).toMatchObject({
      Status: 'exited',
      Running: false,
      Pid: 0,
      ExitCode: 137,
      OOMKilled: true,
      FinishedAt: '2030-01-01T00:00:09Z',
    });
  });
});
