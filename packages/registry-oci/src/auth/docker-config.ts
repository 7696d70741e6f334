import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { DEFAULT_REGISTRY, HostError, InvalidValueError, type Logger } from '@koker/core';
import { DOCKER_HUB_AUTH_KEY } from '../endpoints.js';

/** A user name and its password or token, for Basic auth or a token request. */
export interface Credentials {
  readonly username: string;
  readonly secret: string;
  /** Set when the secret is an OAuth identity token (a helper's `<token>` user). */
  readonly identityToken?: boolean;
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

interface DockerConfigFile {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [other: string]: unknown;
}

/** `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`: the file docker login writes. */
export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), '.docker'), 'config.json');
}

/** The key a registry's credentials live under: Docker Hub's legacy URL, else host[:port]. */
export function authKey(registry: string): string {
  return registry === DEFAULT_REGISTRY ? DOCKER_HUB_AUTH_KEY : registry;
}

/** `https://host/v1/` -> `host`: entries may be written with a scheme and a path. */
function normalizeKey(key: string): string {
  const host = key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return ['index.docker.io', 'registry-1.docker.io', 'docker.io'].includes(host) ? DEFAULT_REGISTRY : host;
}

async function readConfig(path: string): Promise<DockerConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  try {
    const json: unknown = JSON.parse(text);
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw new Error('not a JSON object');
    return json as DockerConfigFile;
  } catch (error) {
    throw new InvalidValueError('Docker config file', path, (error as Error).message);
  }
}

async function writeConfig(path: string, config: DockerConfigFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(config, null, '\t')}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Runs `docker-credential-<helper> <action>` with `input` on stdin (Docker's helper protocol). */
function runHelper(helper: string, action: 'get' | 'store' | 'erase', input: string): Promise<string> {
  const program = `docker-credential-${helper}`;
  return new Promise((resolve, reject) => {
    const child = spawn(program, [action], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', (error) =>
      reject(
        new HostError(`cannot run the credential helper ${program}: ${error.message}`, {
          hint: `install ${program}, or remove "${helper}" from credsStore/credHelpers in ${dockerConfigPath()}`,
        }),
      ),
    );
    child.on('close', (code) => {
      if (code === 0) resolve(stdout);
      else
        reject(
          Object.assign(new Error((stdout || stderr).trim() || `${program} exited ${code}`), {
            helper: true,
          }),
        );
    });
    child.stdin.end(input);
  });
}

/** Credentials as Docker keeps them: config.json `auths`, `credsStore` and `credHelpers`. */
export class DockerCredentialStore {
  constructor(
    readonly path: string = dockerConfigPath(),
    private readonly log?: Logger,
  ) {}

  private helperFor(config: DockerConfigFile, registry: string): string | undefined {
    for (const [key, helper] of Object.entries(config.credHelpers ?? {})) {
      if (normalizeKey(key) === registry && helper) return helper;
    }
    return config.credsStore || undefined;
  }

  /** The credentials for `registry` (`docker.io`, `host:port`), or undefined. */
  async get(registry: string): Promise<Credentials | undefined> {
    const config = await readConfig(this.path);
    const helper = this.helperFor(config, registry);
    if (helper) {
      this.log?.debug({ helper: `docker-credential-${helper}`, registry }, 'Ask credential helper');
      let output: string;
      try {
        output = await runHelper(helper, 'get', authKey(registry));
      } catch (error) {
        if ((error as { helper?: boolean }).helper) return undefined; // "credentials not found"
        throw error;
      }
      const parsed = JSON.parse(output) as { Username?: string; Secret?: string };
      if (!parsed.Secret) return undefined;
      return parsed.Username === '<token>'
        ? { username: '', secret: parsed.Secret, identityToken: true }
        : { username: parsed.Username ?? '', secret: parsed.Secret };
    }
    for (const [key, entry] of Object.entries(config.auths ?? {})) {
      if (normalizeKey(key) !== registry) continue;
      if (entry.identitytoken)
        return { username: entry.username ?? '', secret: entry.identitytoken, identityToken: true };
      if (entry.auth) {
        const text = Buffer.from(entry.auth, 'base64').toString('utf8');
        const colon = text.indexOf(':');
        if (colon > 0) return { username: text.slice(0, colon), secret: text.slice(colon + 1) };
      }
      if (entry.username && entry.password) return { username: entry.username, secret: entry.password };
    }
    return undefined;
  }

  /** Saves credentials the way docker login does (through the helper when one is configured). */
  async store(registry: string, credentials: Credentials): Promise<void> {
    const config = await readConfig(this.path);
    const helper = this.helperFor(config, registry);
    const key = authKey(registry);
    config.auths ??= {};
    if (helper) {
      await runHelper(
        helper,
        'store',
        JSON.stringify({ ServerURL: key, Username: credentials.username, Secret: credentials.secret }),
      );
      // Docker leaves an empty entry so that `docker info` lists the registry.
      config.auths[key] = {};
    } else {
      config.auths[key] = {
        auth: Buffer.from(`${credentials.username}:${credentials.secret}`).toString('base64'),
      };
    }
    await writeConfig(this.path, config);
    this.log?.debug({ path: this.path, registry: key, helper }, 'Store credentials');
  }

  /** Forgets the credentials; returns false when there were none. */
  async erase(registry: string): Promise<boolean> {
    const config = await readConfig(this.path);
    const helper = this.helperFor(config, registry);
    let found = false;
    if (helper) {
      try {
        await runHelper(helper, 'erase', authKey(registry));
        found = true;
      } catch (error) {
        if (!(error as { helper?: boolean }).helper) throw error;
      }
    }
    for (const key of Object.keys(config.auths ?? {})) {
      if (normalizeKey(key) === registry) {
        delete config.auths?.[key];
        found = true;
      }
    }
    if (found) await writeConfig(this.path, config);
    return found;
  }
}
