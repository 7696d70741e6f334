import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-registry.js';
import { KOKER_BIN } from '../helpers/koker.js';
import { tempRoot, type TempRoot } from './image-helpers.js';

describe('pull progress', () => {
  let registry: FixtureRegistry;
  let root: TempRoot;

  beforeAll(async () => {
    registry = await fixtureRegistry();
    root = await tempRoot('progress');
  });
  afterAll(async () => {
    await registry?.stop();
    await root?.remove();
  });

  it('draws a bar per layer and a total on a terminal', () => {
    // script(1) gives koker a pseudo-terminal, as a user's shell would.
    const command = `${KOKER_BIN} --root ${root.dir} pull ${registry.images.layered}`;
    const screen = execFileSync('script', ['-qec', command, '/dev/null'], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(screen).toContain('latest: Pulling from ');
    for (const layer of registry.built.layered.layers)
      expect(screen).toContain(`${layer.slice(7, 19)}: Pull complete`);
    expect(screen).toMatch(/Total: \[=+\] /);
    expect(screen).toContain('\x1b[2K');
    expect(screen).toContain(`Status: Downloaded newer image for ${registry.images.layered}`);
  });

  it('logs a line per layer when not on a terminal, and prints nothing but the name with -q', async () => {
    const logged = await root.run(['pull', registry.images.zstd]);
    expect(logged.stderr).toMatch(/INF Layer already exists layer=[0-9a-f]{12}/);
    expect(logged.stderr).toMatch(/INF Download layer layer=[0-9a-f]{12} size=\d+B/);
    expect(logged.stderr).not.toContain('\x1b[');
    const quiet = await root.run(['pull', '-q', registry.images.uncompressed]);
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout).toBe(`${registry.images.uncompressed}\n`);
  });
});
