import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-registry.js';
import { koker } from '../helpers/koker.js';

// `koker run` end to end: the real command, an image pulled from a registry on loopback.
let registry: FixtureRegistry;
let root: string;
let image: string;
beforeAll(async () => {
  registry = await fixtureRegistry();
  image = registry.images.busybox;
  root = mkdtempSync(join(tmpdir(), 'koker-e2e-run-'));
});
afterAll(async () => {
  await registry?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

const run = (args: string[], options: Parameters<typeof koker>[1] = {}) =>
  koker(['--root', root, 'run', '--rm', '--network', 'none', ...args], options);

describe('koker run', () => {
  it('pulls the image and runs a command in it, every step logged with --debug', async () => {
    const result = await koker(['--root', root, '-D', 'run', '--rm', '--network', 'none', image, 'echo', 'hello']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('hello\n');
  });
});
