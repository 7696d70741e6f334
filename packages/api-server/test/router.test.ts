import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ApiError,
  Router,
  queryFilters,
  readStreamFrames,
  streamFrame,
  versionedPath,
  STREAM,
  kokerGroupId,
  parseListenAddress,
} from '../src/index.js';

describe('versionedPath', () => {
  it('takes the /v1.xx prefix off and negotiates within 1.41-1.45', () => {
    expect(versionedPath('/v1.41/containers/json')).toEqual({ path: '/containers/json', version: '1.41' });
    expect(versionedPath('/containers/json')).toEqual({ path: '/containers/json', version: '1.45' });
    expect(versionedPath('/v1.50/_ping')).toEqual({ path: '/_ping', version: '1.45' });
    expect(() => versionedPath('/v1.40/version')).toThrow(/too old/);
  });
});

describe('Router', () => {
  const router = new Router([
    { method: 'GET', path: '/images/json', handler: () => undefined },
    { method: 'GET', path: '/images/{name*}/json', handler: () => undefined },
    { method: 'POST', path: '/containers/{id}/start', handler: () => undefined },
  ]);

  it('matches parameters, names with slashes, and HEAD as GET', () => {
    expect(router.match('GET', '/images/127.0.0.1:5000/busybox:latest/json').params).toEqual({
      name: '127.0.0.1:5000/busybox:latest',
    });
    expect(router.match('HEAD', '/images/json').params).toEqual({});
    expect(router.match('POST', '/containers/abc/start').params).toEqual({ id: 'abc' });
  });

  it('answers 405 for a known path with another method, 404 for an unknown one', () => {
    expect(() => router.match('GET', '/containers/abc/start')).toThrow(
      expect.objectContaining({ status: 405 }),
    );
    expect(() => router.match('GET', '/nope')).toThrow(ApiError);
  });
});

describe('frames and filters', () => {
  it("writes Docker's multiplexed frames", () => {
    const frame = streamFrame(STREAM.stderr, Buffer.from('oops'));
    expect([...frame.subarray(0, 8)]).toEqual([2, 0, 0, 0, 0, 0, 0, 4]);
    expect(readStreamFrames(Buffer.concat([streamFrame(STREAM.stdout, Buffer.from('a')), frame]))).toEqual([
      { stream: 1, payload: Buffer.from('a') },
      { stream: 2, payload: Buffer.from('oops') },
    ]);
  });

  it('reads both shapes of the filters parameter', () => {
    const query = (value: unknown) => new URLSearchParams({ filters: JSON.stringify(value) });
    expect(queryFilters(query({ label: ['a=1'] }))).toEqual({ label: ['a=1'] });
    expect(queryFilters(query({ status: { running: true, exited: false } }))).toEqual({
      status: ['running'],
    });
    expect(() => queryFilters(new URLSearchParams({ filters: '{' }))).toThrow(/invalid filter/);
  });
});

describe('the socket', () => {
  it("finds the koker group's GID, or none", () => {
    const dir = mkdtempSync(join(tmpdir(), 'koker-api-group-'));
    try {
      writeFileSync(join(dir, 'group'), 'root:x:0:\ndocker:x:998:\nkoker:x:997:alice\n');
      expect(kokerGroupId(join(dir, 'group'))).toBe(997);
      writeFileSync(join(dir, 'nogroup'), 'root:x:0:\n');
      expect(kokerGroupId(join(dir, 'nogroup'))).toBeUndefined();
      expect(kokerGroupId(join(dir, 'missing'))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads unix and tcp addresses', () => {
    expect(parseListenAddress('unix:///run/koker/koker.sock')).toEqual({
      kind: 'unix',
      path: '/run/koker/koker.sock',
    });
    expect(parseListenAddress('/tmp/k.sock')).toEqual({ kind: 'unix', path: '/tmp/k.sock' });
    expect(parseListenAddress('tcp://127.0.0.1:2376')).toEqual({
      kind: 'tcp',
      host: '127.0.0.1',
      port: 2376,
    });
    expect(() => parseListenAddress('http://x')).toThrow(/invalid socket address/);
  });
});
