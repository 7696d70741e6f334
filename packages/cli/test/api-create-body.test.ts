import { describe, expect, it } from 'vitest';
import { createRequestFromBody } from '../src/api/create-body.js';

describe("the API's create body as run's flags", () => {
  it('maps the fields Docker sends for `docker run`', () => {
    const request = createRequestFromBody(
      {
        Image: 'busybox',
        Cmd: ['echo', 'hi'],
        Entrypoint: ['/bin/sh', '-c'],
        Env: ['A=1'],
        Tty: true,
        OpenStdin: true,
        Labels: { x: 'y' },
        HostConfig: {
          AutoRemove: true,
          NetworkMode: 'default',
          PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] },
          Memory: 64 * 1024 * 1024,
          RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
          MemorySwappiness: -1,
          ConsoleSize: [24, 80],
          Binds: ['data:/data:ro'],
        },
        NetworkingConfig: { EndpointsConfig: { proj: { Aliases: ['web'] } } },
      },
      'box',
    );
    expect(request.image).toBe('busybox');
    expect(request.args).toEqual(['-c', 'echo', 'hi']);
    expect(request.size).toEqual({ rows: 24, columns: 80 });
    expect(request.flags).toMatchObject({
      name: 'box',
      entrypoint: '/bin/sh',
      env: ['A=1'],
      tty: true,
      interactive: true,
      rm: true,
      publish: ['127.0.0.1:8080:80/tcp'],
      memory: `${64 * 1024 * 1024}b`,
      restart: 'on-failure:3',
      volume: ['data:/data:ro'],
      netAlias: ['web'],
      label: ['x=y'],
    });
    expect(request.flags.net).toBeUndefined();
  });

  it('refuses the HostConfig fields koker does not support, by name', () => {
    expect(() =>
      createRequestFromBody(
        { Image: 'busybox', HostConfig: { OomKillDisable: true, CpuRealtimeRuntime: 5 } },
        undefined,
      ),
    ).toThrow('koker does not support HostConfig.CpuRealtimeRuntime, HostConfig.OomKillDisable');
    expect(() =>
      createRequestFromBody({ Image: 'busybox', HostConfig: { MemorySwappiness: 10 } }, undefined),
    ).toThrow(/MemorySwappiness/);
  });
});
