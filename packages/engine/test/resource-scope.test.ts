import { describe, expect, it } from 'vitest';
import { ResourceScope } from '../src/index.js';

describe('ResourceScope', () => {
  it('releases in reverse order of acquisition, even when a later step fails', async () => {
    const events: string[] = [];
    const scope = new ResourceScope();
    const step = (name: string) =>
      scope.acquire(
        name,
        async () => {
          events.push(`acquire ${name}`);
          return name;
        },
        async () => void events.push(`release ${name}`),
      );
    await step('network');
    await step('rootfs');
    await expect(
      scope.acquire(
        'cgroups',
        async () => Promise.reject(new Error('cgroup failed')),
        async () => undefined,
      ),
    ).rejects.toThrow('cgroup failed');
    await scope.close();
    expect(events).toEqual(['acquire network', 'acquire rootfs', 'release rootfs', 'release network']);
  });

  it('keeps releasing when one release fails, and reports it', async () => {
    const events: string[] = [];
    const scope = new ResourceScope();
    await scope.acquire(
      'a',
      async () => 1,
      async () => void events.push('release a'),
    );
    await scope.acquire(
      'b',
      async () => 2,
      async () => Promise.reject(new Error('busy')),
    );
    await scope.acquire(
      'c',
      async () => 3,
      async () => void events.push('release c'),
    );
    const failures = await scope.close();
    expect(events).toEqual(['release c', 'release a']);
    expect(failures.map((f) => f.name)).toEqual(['b']);
  });

  it('closes once, however often close is called', async () => {
    let releases = 0;
    const scope = new ResourceScope();
    await scope.acquire(
      'x',
      async () => 0,
      async () => void (releases += 1),
    );
    await Promise.all([scope.close(), scope.close()]);
    expect(releases).toBe(1);
    await expect(
      scope.acquire(
        'late',
        async () => 0,
        async () => undefined,
      ),
    ).rejects.toThrow(/closing/);
  });

  it('releases nothing handed over to another owner, but what is deferred after it', async () => {
    const events: string[] = [];
    const scope = new ResourceScope();
    scope.defer('rootfs', async () => void events.push('release rootfs'));
    scope.defer('cgroups', async () => void events.push('release cgroups'));
    scope.handOver();
    scope.defer('lock', async () => void events.push('release lock'));
    expect(scope.names).toEqual(['lock']);
    await scope.close();
    expect(events).toEqual(['release lock']);
  });
});
