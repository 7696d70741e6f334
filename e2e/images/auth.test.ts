import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-registry.js';
import { tempRoot, type TempRoot } from './image-helpers.js';

describe('registry authentication', () => {
  let root: TempRoot;
  // Credentials go to $DOCKER_CONFIG/config.json, as docker login writes them.
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    root = await tempRoot('auth');
    env = { DOCKER_CONFIG: join(root.dir, 'docker') };
  });
  afterAll(() => root?.remove());

  describe('htpasswd (Basic)', () => {
    let registry: FixtureRegistry;
    beforeAll(async () => {
      registry = await fixtureRegistry({ auth: 'basic' });
    });
    afterAll(() => registry?.stop());

    it('asks for a login, refuses a wrong password, pulls after koker login, forgets after logout', async () => {
      const anonymous = await root.run(['pull', registry.images.busybox], { env });
      expect(anonymous.code).toBe(1);
      expect(anonymous.stderr).toContain(`koker: ${registry.host} requires authentication\n`);
      expect(anonymous.stderr).toContain(`koker: hint: log in with: koker login ${registry.host}`);

      const wrong = await root.run(['login', registry.host, '-u', 'koker', '--password-stdin'], {
        env,
        input: 'nope\n',
      });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain(
        `koker: login to ${registry.host} failed: incorrect username or password`,
      );

      const login = await root.run(['login', registry.host, '-u', 'koker', '--password-stdin'], {
        env,
        input: `${registry.credentials?.password}\n`,
      });
      expect(login.stdout).toBe('Login Succeeded\n');
      const config = JSON.parse(readFileSync(join(root.dir, 'docker', 'config.json'), 'utf8')) as {
        auths: Record<string, { auth: string }>;
      };
      expect(Buffer.from(config.auths[registry.host]?.auth ?? '', 'base64').toString()).toBe(
        `koker:${registry.credentials?.password}`,
      );

      const pulled = await root.run(['pull', '-q', registry.images.busybox], { env });
      expect(pulled.code).toBe(0);
      expect(pulled.stdout).toBe(`${registry.images.busybox}\n`);

      expect((await root.run(['logout', registry.host], { env })).stdout).toBe(
        `Removing login credentials for ${registry.host}\n`,
      );
      expect((await root.run(['logout', registry.host], { env })).stdout).toBe(
        `Not logged in to ${registry.host}\n`,
      );
      expect((await root.run(['pull', registry.images.layered], { env })).code).toBe(1);
    });
  });

  describe('Bearer tokens (like Docker Hub)', () => {
    it('pulls anonymously, with one token per repository scope', async () => {
      const registry = await fixtureRegistry({ auth: 'token' });
      try {
        const pulled = await root.run(['pull', registry.images.layered], { env });
        expect(pulled.code).toBe(0);
        // Manifests, config and three layers, all under one cached token.
        expect(registry.tokenRequests).toEqual([{ scope: ['repository:layered:pull'], anonymous: true }]);
      } finally {
        await registry.stop();
      }
    });

    it('needs credentials for a private repository and sends them to the token service', async () => {
      const registry = await fixtureRegistry({ auth: 'token', anonymousPull: false });
      try {
        const denied = await root.run(['pull', registry.images.zstd], { env });
        expect(denied.code).toBe(1);
        expect(denied.stderr).toContain(
          `koker: pull access denied for ${registry.host}/zstd: the repository does not exist or needs credentials`,
        );
        const wrong = await root.run(['login', registry.host, '-u', 'koker', '-p', 'wrong'], { env });
        expect(wrong.code).toBe(1);
        expect(wrong.stderr).toContain(
          `koker: login to ${registry.host} failed for user "koker": incorrect username or password`,
        );
        const login = await root.run(['login', registry.host, '-u', 'koker', '--password-stdin'], {
          env,
          input: registry.credentials?.password,
        });
        expect(login.code).toBe(0);
        const pulled = await root.run(['pull', registry.images.zstd], { env });
        expect(pulled.code).toBe(0);
        expect(registry.tokenRequests.at(-1)).toEqual({
          account: 'koker',
          scope: ['repository:zstd:pull'],
          anonymous: false,
        });
        await root.run(['logout', registry.host], { env });
      } finally {
        await registry.stop();
      }
    });
  });

  it('uses a docker-credential helper named in the config', async () => {
    const registry = await fixtureRegistry({ auth: 'basic' });
    const { mkdir, writeFile, chmod } = await import('node:fs/promises');
    const bin = join(root.dir, 'bin');
    await mkdir(bin, { recursive: true });
    const store = join(root.dir, 'helper-store');
    // A credential helper speaking Docker's protocol (get/store/erase on stdin/stdout), storing in a file.
    await writeFile(
      join(bin, 'docker-credential-koker-e2e'),
      `#!/bin/sh
case "$1" in
  store) cat > ${store} ;;
  get) read server; [ -f ${store} ] && cat ${store} || { echo "credentials not found in native keychain"; exit 1; } ;;
  erase) rm -f ${store} ;;
esac
`,
    );
    await chmod(join(bin, 'docker-credential-koker-e2e'), 0o755);
    const helperEnv = { DOCKER_CONFIG: join(root.dir, 'docker-helper'), PATH: `${bin}:${process.env.PATH}` };
    await mkdir(helperEnv.DOCKER_CONFIG, { recursive: true });
    await writeFile(
      join(helperEnv.DOCKER_CONFIG, 'config.json'),
      JSON.stringify({ credsStore: 'koker-e2e' }),
    );
    try {
      const login = await root.run(['login', registry.host, '-u', 'koker', '--password-stdin'], {
        env: helperEnv,
        input: registry.credentials?.password,
      });
      expect(login.stdout).toBe('Login Succeeded\n');
      expect(JSON.parse(readFileSync(store, 'utf8'))).toEqual({
        ServerURL: registry.host,
        Username: 'koker',
        Secret: registry.credentials?.password,
      });
      const config = readFileSync(join(helperEnv.DOCKER_CONFIG, 'config.json'), 'utf8');
      expect(config).not.toContain(registry.credentials?.password ?? '');
      expect((await root.run(['pull', registry.images.uncompressed], { env: helperEnv })).code).toBe(0);
    } finally {
      await registry.stop();
    }
  });
});
