import { posix } from 'node:path';
import { goDurationMs } from '@koker/engine';
import { DockerfileError } from '../dockerfile/dockerfile-error.js';
import { type Instruction } from '../dockerfile/parse-dockerfile.js';
import { expandString, expandWords, jsonForm, keyValuePairs } from '../dockerfile/words.js';

/** An image's run config as Docker writes it (`config` of the image config JSON). */
export interface RunConfig {
  Env?: string[];
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  User?: string;
  ExposedPorts?: Record<string, object>;
  Labels?: Record<string, string>;
  Volumes?: Record<string, object>;
  StopSignal?: string;
  Healthcheck?: Record<string, unknown>;
  OnBuild?: string[] | null;
  Shell?: string[];
  [key: string]: unknown;
}

/** What a stage remembers between instructions beyond its config. */
export interface StageState {
  /** CMD was set in this stage: a later ENTRYPOINT keeps it (else it resets an inherited one). */
  cmdSet: boolean;
}

/** The instructions that change only the config (no layer). */
export const CONFIG_KEYWORDS: ReadonlySet<string> = new Set([
  'CMD',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'LABEL',
  'ONBUILD',
  'USER',
  'VOLUME',
  'WORKDIR',
  'STOPSIGNAL',
  'HEALTHCHECK',
  'SHELL',
  'MAINTAINER',
]);

/** Docker's default SHELL. */
export const DEFAULT_SHELL: readonly string[] = ['/bin/sh', '-c'];

export function envMap(config: RunConfig): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of config.Env ?? []) {
    const at = entry.indexOf('=');
    map.set(at < 0 ? entry : entry.slice(0, at), at < 0 ? '' : entry.slice(at + 1));
  }
  return map;
}

function setEnv(config: RunConfig, key: string, value: string): void {
  const env = [...(config.Env ?? [])];
  const at = env.findIndex((e) => e === key || e.startsWith(`${key}=`));
  if (at >= 0) env[at] = `${key}=${value}`;
  else env.push(`${key}=${value}`);
  config.Env = env;
}

/** CMD/ENTRYPOINT/RUN arguments: the JSON exec form, or the shell form run by SHELL. */
export function commandForm(config: RunConfig, args: string): string[] {
  return jsonForm(args) ?? [...(config.Shell ?? DEFAULT_SHELL), args];
}

function durationNs(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = value === '0' ? 0 : goDurationMs(value);
  if (ms === undefined) throw new DockerfileError(`invalid duration for --${flag}: ${value}`);
  return Math.round(ms * 1e6);
}

function healthcheck(instruction: Instruction, config: RunConfig): Record<string, unknown> {
  const args = instruction.args.trim();
  if (/^NONE$/i.test(args)) return { Test: ['NONE'] };
  const cmd = /^CMD\s+([\s\S]*)$/i.exec(args);
  if (!cmd) throw new DockerfileError('HEALTHCHECK takes NONE or CMD', instruction.line);
  const rest = cmd[1] as string;
  const exec = jsonForm(rest);
  const f = instruction.flags;
  const known = ['interval', 'timeout', 'start-period', 'start-interval', 'retries'];
  for (const flag of Object.keys(f))
    if (!known.includes(flag)) throw new DockerfileError(`unknown flag: --${flag}`, instruction.line);
  const retries = f.retries === undefined ? undefined : Number(f.retries);
  if (retries !== undefined && (!Number.isInteger(retries) || retries < 0))
    throw new DockerfileError(`--retries must be a non-negative integer: ${f.retries}`, instruction.line);
  const entries: [string, unknown][] = [
    ['Test', exec ? ['CMD', ...exec] : ['CMD-SHELL', rest]],
    ['Interval', durationNs('interval', f.interval)],
    ['Timeout', durationNs('timeout', f.timeout)],
    ['StartPeriod', durationNs('start-period', f['start-period'])],
    ['StartInterval', durationNs('start-interval', f['start-interval'])],
    ['Retries', retries],
  ];
  void config;
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
}

function exposedPorts(words: readonly string[]): string[] {
  const ports: string[] = [];
  for (const word of words) {
    const match = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(word);
    if (!match) throw new DockerfileError(`invalid containerPort: ${word}`);
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last > 65535 || first > last) throw new DockerfileError(`invalid containerPort: ${word}`);
    const proto = (match[3] ?? 'tcp').toLowerCase();
    for (let port = first; port <= last; port++) ports.push(`${port}/${proto}`);
  }
  return ports;
}

function requireArguments(instruction: Instruction, args: string): void {
  if (args.trim() === '')
    throw new DockerfileError(`${instruction.keyword} requires at least one argument`, instruction.line);
}

/**
 * Applies one config instruction to `config` (changed in place), as Docker's dispatcher does.
 * `vars` are the variables in scope for expansion (ARGs and ENV); ENV adds to them.
 */
export function applyConfigInstruction(
  config: RunConfig,
  instruction: Instruction,
  vars: Map<string, string>,
  state: StageState,
  escape = '\\',
): void {
  const { keyword, args } = instruction;
  switch (keyword) {
    case 'CMD':
      requireArguments(instruction, args);
      config.Cmd = commandForm(config, args);
      state.cmdSet = true;
      return;
    case 'ENTRYPOINT':
      requireArguments(instruction, args);
      config.Entrypoint = commandForm(config, args);
      if (!state.cmdSet) config.Cmd = null;
      return;
    case 'ENV':
      for (const [key, value] of keyValuePairs('ENV', args, vars, escape)) {
        setEnv(config, key, value ?? '');
        // A later pair of the same instruction sees the earlier ones.
        vars.set(key, value ?? '');
      }
      return;
    case 'LABEL':
      config.Labels = { ...(config.Labels ?? {}) };
      for (const [key, value] of keyValuePairs('LABEL', args, vars, escape)) config.Labels[key] = value ?? '';
      return;
    case 'MAINTAINER':
      // Deprecated; recorded as the image author by the caller.
      return;
    case 'EXPOSE': {
      config.ExposedPorts = { ...(config.ExposedPorts ?? {}) };
      for (const port of exposedPorts(expandWords(args, vars, escape))) config.ExposedPorts[port] = {};
      return;
    }
    case 'ONBUILD': {
      const trigger = /^(\S+)\s*([\s\S]*)$/.exec(args.trim());
      if (!trigger) throw new DockerfileError('ONBUILD requires an instruction', instruction.line);
      const inner = (trigger[1] as string).toUpperCase();
      if (['ONBUILD', 'FROM', 'MAINTAINER'].includes(inner))
        throw new DockerfileError(`${inner} isn't allowed as an ONBUILD trigger`, instruction.line);
      config.OnBuild = [...(config.OnBuild ?? []), `${inner} ${trigger[2] as string}`.trim()];
      return;
    }
    case 'USER':
      config.User = expandString(args.trim(), vars, escape);
      return;
    case 'VOLUME': {
      const paths = jsonForm(args) ?? expandWords(args, vars, escape);
      if (paths.length === 0)
        throw new DockerfileError('VOLUME requires at least one argument', instruction.line);
      config.Volumes = { ...(config.Volumes ?? {}) };
      for (const path of paths) {
        if (path.trim() === '')
          throw new DockerfileError('VOLUME specified can not be an empty string', instruction.line);
        config.Volumes[path] = {};
      }
      return;
    }
    case 'WORKDIR': {
      const dir = expandString(args.trim(), vars, escape);
      config.WorkingDir = posix.resolve(config.WorkingDir || '/', dir);
      return;
    }
    case 'STOPSIGNAL':
      config.StopSignal = expandString(args.trim(), vars, escape);
      return;
    case 'HEALTHCHECK':
      config.Healthcheck = healthcheck(instruction, config);
      return;
    case 'SHELL': {
      const shell = jsonForm(args);
      if (!shell || shell.length === 0)
        throw new DockerfileError('SHELL requires the arguments to be in JSON form', instruction.line);
      config.Shell = shell;
      return;
    }
    default:
      throw new DockerfileError(`${keyword} is not a config instruction`, instruction.line);
  }
}
