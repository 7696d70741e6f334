import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KokerResult } from '../helpers/koker.js';

// koker as users install it: `npm pack` of packages/cli, `npm install -g` of that tarball into
// a prefix of its own, run from outside the checkout with nothing of the workspace on any path.
// Dependencies come from the npm cache `npm ci` filled (--prefer-offline: the registry is asked
// only for package metadata the cache lacks). Two installs: with the package's install script
// (native helpers built here, a start-up snapshot for this node), and without (--ignore-scripts,
// as an npm that does not run install scripts: the prebuilt helpers and the bundle).

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(REPO, 'packages', 'cli');
const BUSYBOX_IMAGE = join(REPO, 'scripts', 'build-busybox-image.sh');
const HELPERS = ['koker-init', 'koker-monitor', 'koker-flock.node', 'koker-xattr.node'];

const work = mkdtempSync('/tmp/koker-e2e-install-');
let tarball: string;
let archive: string;

/**
 * The environment of a user's shell: no npm_* variables of the test runner, no NODE_OPTIONS,
 * NODE_PATH or NODE_ENV. The machine's own settings stay: NODE_EXTRA_CA_CERTS is how npm trusts
 * a registry behind a proxy with its own certificate authority.
 */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm_|NODE_(OPTIONS|PATH|ENV)$|VITEST|INIT_CWD)/i.test(key)) env[key] = value;
  }
  return env;
}

function npm(args: string[], cwd: string): string {
  const result = spawnSync('npm', args, { cwd, env: userEnv(), encoding: 'utf8', timeout: 240_000 });
  expect(result.status, `npm ${args.join(' ')}\n${result.stdout}\n${result.stderr}`).toBe(0);
  return `${result.stdout}${result.stderr}`;
}

interface Installed {
  readonly prefix: string;
  readonly package: string;
  readonly install: string;
  readonly koker: (args: readonly string[], env?: NodeJS.ProcessEnv) => Promise<KokerResult>;
}

function install(name: string, extra: string[]): Installed {
  const prefix = join(work, name);
  const output = npm(
    [
      'install',
      '-g',
      '--prefix',
      prefix,
      '--prefer-offline',
      '--no-fund',
      '--no-audit',
      '--foreground-scripts',
      ...extra,
      tarball,
    ],
    work,
  );
  const root = join(work, `${name}-root`);
  // PATH: the prefix's bin, the node running the tests, the system: no node_modules/.bin.
  const path = [
    join(prefix, 'bin'),
    dirname(process.execPath),
    '/usr/sbin',
    '/usr/bin',
    '/sbin',
    '/bin',
  ].join(':');
  return {
    prefix,
    package: join(prefix, 'lib', 'node_modules', '@koker', 'cli'),
    install: output,
    koker: (args, env = {}) =>
      new Promise((done, fail) => {
        const child = spawn(join(prefix, 'bin', 'koker'), ['--root', root, ...args], {
          cwd: work,
          env: { ...userEnv(), PATH: path, NO_COLOR: '1', ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
          timeout: 90_000,
        });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
        child.on('error', fail);
        child.on('close', (code, signal) => done({ code: code ?? -1, signal, stdout, stderr }));
      }),
  };
}

/** Every file and link of the installed tree: links must stay inside the prefix. */
function linksLeavingPrefix(prefix: string): string[] {
  const leaving: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isSymbolicLink()) {
        const target = resolve(dir, readlinkSync(path));
        if (!target.startsWith(`${prefix}/`)) leaving.push(`${path} -> ${target}`);
      } else if (entry.isDirectory()) walk(path);
    }
  };
  walk(prefix);
  return leaving;
}

/** Where Node resolves a package from the installed koker (as its bundle and drivers do). */
function resolvedFrom(installed: Installed, specifier: string): string {
  return execFileSync(
    process.execPath,
    ['--input-type=module', '-e', `console.log(import.meta.resolve(${JSON.stringify(specifier)}))`],
    { cwd: installed.package, env: userEnv(), encoding: 'utf8' },
  ).trim();
}

async function helperStarted(installed: Installed): Promise<string> {
  const run = await installed.koker([
    '--debug',
    '--log-format',
    'json',
    'run',
    '--rm',
    '--network',
    'none',
    'busybox',
    'true',
  ]);
  expect(run.code, run.stderr).toBe(0);
  const line = run.stderr.split('\n').find((l) => l.includes('Start native helper'));
  expect(line, run.stderr).toBeDefined();
  // The command line starts with the container's monitor, then the launcher it runs: koker-init.
  const argv = (JSON.parse(line as string) as { helper: string }).helper.split(' ');
  const monitor = argv[0] ?? '';
  expect(dirname(monitor), 'the monitor comes from the same install').toBe(
    dirname(argv.find((a) => a.endsWith('/koker-init')) ?? ''),
  );
  return argv.find((a) => a.endsWith('/koker-init')) ?? monitor;
}

beforeAll(() => {
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', work], {
      cwd: CLI,
      env: userEnv(),
      encoding: 'utf8',
    }),
  ) as { filename: string }[];
  tarball = join(work, (packed[0] as { filename: string }).filename);
  archive = join(work, 'busybox.tar');
  execFileSync(BUSYBOX_IMAGE, [archive, 'busybox:latest']);
}, 300_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('koker installed from its npm tarball', () => {
  it('packs the bundle, the native sources and prebuilt helpers, and @koker/core as a bundled dependency', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
    for (const file of [
      'package/bin/koker',
      'package/dist/bundle/koker.js',
      'package/dist/snapshot/koker.cjs',
      'package/native/Makefile',
      'package/native/src/main.c',
      'package/node_modules/@koker/core/dist/index.js',
      ...HELPERS.map((helper) => `package/native/build/${helper}`),
    ]) {
      expect(files).toContain(file);
    }
    // The blob only runs in the node binary that made it: the install makes its own.
    expect(files).not.toContain('package/dist/snapshot/koker.blob');
    expect(files.filter((file) => file.startsWith('package/src/'))).toEqual([]);
    const manifest = JSON.parse(
      execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }),
    );
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['@koker/core', 'koffi', 'undici']);
    expect(files).toContain('package/node_modules/tsyringe/package.json'); // @koker/core's own
    // The workspace's own build scripts are not left in the tree after packing.
    expect(readdirSync(CLI)).not.toContain('native');
  });

  describe.each([
    { name: 'with its install script', extra: [] as string[], snapshot: true },
    { name: 'with --ignore-scripts', extra: ['--ignore-scripts'], snapshot: false },
  ])('$name', ({ name, extra, snapshot }) => {
    let installed: Installed;
    beforeAll(() => {
      installed = install(name.replace(/\W+/g, '-'), extra);
    }, 300_000);

    it('installs a tree that resolves nothing from the checkout', () => {
      expect(realpathSync(join(installed.prefix, 'bin', 'koker'))).toBe(
        join(installed.package, 'bin', 'koker'),
      );
      expect(linksLeavingPrefix(installed.prefix)).toEqual([]);
      for (const specifier of ['koffi', 'undici', '@koker/core', 'tsyringe']) {
        expect(resolvedFrom(installed, specifier)).toMatch(
          new RegExp(`^file://${installed.package}/node_modules/`),
        );
      }
      if (snapshot)
        expect(installed.install).toContain("koker: built the native helpers with this machine's C compiler");
    });

    it('starts from its own start-up snapshot when the install made one, else from the bundle', async () => {
      const info = await installed.koker(['info', '--format', 'json']);
      expect(info.code, info.stderr).toBe(0);
      const { startupSnapshot } = JSON.parse(info.stdout) as { startupSnapshot: string | null };
      expect(startupSnapshot).toBe(
        snapshot ? join(installed.package, 'dist', 'snapshot', 'koker.blob') : null,
      );
    });

    it("loads a driver module installed in koker's node_modules that imports the bundled @koker/core", async () => {
      const driver = join(installed.package, 'node_modules', 'koker-e2e-driver');
      mkdirSync(driver);
      writeFileSync(
        join(driver, 'package.json'),
        '{"name":"koker-e2e-driver","type":"module","main":"index.js"}\n',
      );
      writeFileSync(
        join(driver, 'index.js'),
        [
          "import { contractKey } from '@koker/core';",
          'export function register(catalog) {',
          "  catalog.add({ contract: contractKey('network'), name: 'e2e-core-network', priority: 1000,",
          "    description: 'imports @koker/core', probe: () => ({ usable: true }), create: () => { throw new Error('no'); } });",
          '}',
        ].join('\n'),
      );
      try {
        const result = await installed.koker(['info', '--format', 'json'], {
          KOKER_DRIVERS: 'koker-e2e-driver',
        });
        expect(result.code, result.stderr).toBe(0);
        const info = JSON.parse(result.stdout) as { drivers: { network: { selected?: string } } };
        expect(info.drivers.network.selected).toBe('e2e-core-network');
      } finally {
        rmSync(driver, { recursive: true, force: true });
      }
    });

    it('loads the busybox archive and runs a container with the helpers of the install', async () => {
      const loaded = await installed.koker(['load', '-i', archive]);
      expect(loaded.code, loaded.stderr).toBe(0);
      expect(loaded.stdout).toContain('Loaded image: busybox:latest');
      const hello = await installed.koker([
        'run',
        '--rm',
        '--network',
        'none',
        'busybox',
        'echo',
        'hello from npm',
      ]);
      expect(hello.code, hello.stderr).toBe(0);
      expect(hello.stdout).toBe('hello from npm\n');
      expect(await helperStarted(installed)).toBe(join(installed.package, 'native', 'build', 'koker-init'));
      const exit = await installed.koker([
        'run',
        '--rm',
        '--network',
        'none',
        'busybox',
        'sh',
        '-c',
        'exit 3',
      ]);
      expect(exit.code).toBe(3);
      expect((await installed.koker(['ps', '-aq'])).stdout).toBe('');
    });

    if (snapshot) {
      it('falls back to the bundle when another node made the snapshot', async () => {
        writeFileSync(join(installed.package, 'dist', 'snapshot', 'node.stamp'), '1 2 3\n');
        const info = await installed.koker(['info', '--format', 'json']);
        expect((JSON.parse(info.stdout) as { startupSnapshot: string | null }).startupSnapshot).toBeNull();
        const hello = await installed.koker([
          'run',
          '--rm',
          '--network',
          'none',
          'busybox',
          'echo',
          'from the bundle',
        ]);
        expect(hello.stdout).toBe('from the bundle\n');
        expect(hello.code).toBe(0);
      });
    }
  });
});
