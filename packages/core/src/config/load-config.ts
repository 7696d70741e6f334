import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidValueError } from '../errors/index.js';
import {
  DEFAULT_CONFIG,
  DEFAULT_REGISTRY_TIMEOUTS,
  type KokerConfig,
  type RegistryTimeouts,
} from './config.js';
import { parseRootDirectory } from './root-directory.js';

export interface ConfigSources {
  /** From flags: `--root`, `--cgroup-driver`, ... */
  readonly flags?: { root?: string; drivers?: Record<string, string> };
  readonly env?: NodeJS.ProcessEnv;
  /** Path of a JSON config file; default `$KOKER_CONFIG` or `/etc/koker/config.json` (optional). */
  readonly file?: string;
  readonly readFile?: (path: string) => string | undefined;
}

const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

function readOptional(path: string): string | undefined {
  try {
    // A device or FIFO named by KOKER_CONFIG must not be read forever.
    const stat = statSync(path);
    if (!stat.isFile() || stat.size > MAX_CONFIG_FILE_BYTES)
      throw new InvalidValueError('config file', path, `not a regular file of at most 1 MiB`);
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

const TIMEOUT_ENV: Readonly<Record<keyof RegistryTimeouts, string>> = {
  connect: 'KOKER_REGISTRY_CONNECT_TIMEOUT',
  idle: 'KOKER_REGISTRY_IDLE_TIMEOUT',
  stall: 'KOKER_REGISTRY_STALL_TIMEOUT',
};

/** Registry deadlines: defaults < `registry.timeouts` of the file < environment; positive seconds. */
function registryTimeouts(
  fromFile: Partial<Record<keyof RegistryTimeouts, unknown>> | undefined,
  env: NodeJS.ProcessEnv,
  filePath: string,
): RegistryTimeouts {
  const pick = (key: keyof RegistryTimeouts): number => {
    const envValue = env[TIMEOUT_ENV[key]];
    const [raw, from] =
      envValue !== undefined && envValue !== ''
        ? [envValue, TIMEOUT_ENV[key]]
        : [fromFile?.[key], `registry.timeouts.${key} in ${filePath}`];
    if (raw === undefined) return DEFAULT_REGISTRY_TIMEOUTS[key];
    const seconds = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : NaN;
    if (!Number.isFinite(seconds) || seconds <= 0)
      throw new InvalidValueError(`registry ${key} timeout (${from})`, String(raw), 'expected seconds > 0');
    return seconds;
  };
  return { connect: pick('connect'), idle: pick('idle'), stall: pick('stall') };
}

/** Merges defaults < config file < environment < flags, validating as it goes. */
export function loadConfig(sources: ConfigSources = {}): KokerConfig {
  const env = sources.env ?? process.env;
  const filePath = sources.file ?? env.KOKER_CONFIG ?? '/etc/koker/config.json';
  const text = (sources.readFile ?? readOptional)(filePath);
  let file: Partial<KokerConfig> = {};
  if (text !== undefined) {
    try {
      file = JSON.parse(text) as Partial<KokerConfig>;
    } catch (error) {
      throw new InvalidValueError('config file', filePath, (error as Error).message);
    }
    if (typeof file !== 'object' || file === null || Array.isArray(file)) {
      throw new InvalidValueError('config file', filePath, 'expected a JSON object');
    }
  }
  const root =
    sources.flags?.root !== undefined
      ? parseRootDirectory(sources.flags.root, '--root')
      : env.KOKER_ROOT !== undefined
        ? parseRootDirectory(env.KOKER_ROOT, 'KOKER_ROOT')
        : file.root !== undefined
          ? parseRootDirectory(file.root, `root in ${filePath}`)
          : DEFAULT_CONFIG.root;
  const mirrorEnv = env.KOKER_REGISTRY_MIRROR?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const runRoot =
    env.KOKER_RUN_ROOT ??
    file.runRoot ??
    (root === DEFAULT_CONFIG.root ? DEFAULT_CONFIG.runRoot : join(root, 'run'));
  return {
    root,
    runRoot,
    registry: {
      ...DEFAULT_CONFIG.registry,
      ...file.registry,
      ...(mirrorEnv ? { mirrors: mirrorEnv } : {}),
      timeouts: registryTimeouts(file.registry?.timeouts, env, filePath),
    },
    drivers: { ...file.drivers, ...sources.flags?.drivers },
    driverModules: [...(file.driverModules ?? []), ...(env.KOKER_DRIVERS?.split(',').filter(Boolean) ?? [])],
    network: { ...DEFAULT_CONFIG.network, ...file.network },
    ...(env.KOKER_CGROUP_PARENT || file.cgroupParent
      ? { cgroupParent: env.KOKER_CGROUP_PARENT || file.cgroupParent }
      : {}),
    ...(env.KOKER_NATIVE_HELPER || file.nativeHelper
      ? { nativeHelper: env.KOKER_NATIVE_HELPER ?? file.nativeHelper }
      : {}),
  };
}
