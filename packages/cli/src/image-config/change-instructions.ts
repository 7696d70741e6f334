import { InvalidValueError } from '@koker/core';

/** The Dockerfile instructions `import --change` takes (Docker's list for import and commit). */
export const CHANGE_INSTRUCTIONS = [
  'CMD',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'LABEL',
  'ONBUILD',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR',
] as const;

type Config = Record<string, unknown>;

function refuse(change: string, reason: string): InvalidValueError {
  return new InvalidValueError('--change', change, reason, {
    hint: `one Dockerfile instruction per --change: ${CHANGE_INSTRUCTIONS.join(', ')}`,
  });
}

/** Splits on white space, keeping quoted parts together (quotes removed, `\` escapes the next character). */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) current += text[++i];
      else current += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      current += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} quote`);
  if (inWord) words.push(current);
  return words;
}

/** The exec form (`["a", "b"]`) as is, the shell form through `/bin/sh -c`, as a Dockerfile does. */
function commandForm(change: string, rest: string): string[] {
  if (rest.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(rest);
      if (Array.isArray(parsed) && parsed.every((p) => typeof p === 'string')) return parsed as string[];
    } catch {
      // not JSON: Docker then takes the text as the shell form
    }
  }
  if (rest === '') throw refuse(change, 'it needs a command');
  return ['/bin/sh', '-c', rest];
}

/** `K=V K2="v 2"`, or the legacy `K some value`. */
function pairs(change: string, rest: string, legacy: boolean): [string, string][] {
  let words: string[];
  try {
    words = shellWords(rest);
  } catch (error) {
    throw refuse(change, (error as Error).message);
  }
  if (words.length === 0) throw refuse(change, 'it needs at least one KEY=VALUE');
  if (legacy && !(words[0] as string).includes('=')) {
    const space = rest.search(/\s/);
    if (space < 0) throw refuse(change, 'it needs a value');
    return [[rest.slice(0, space), rest.slice(space).trim()]];
  }
  return words.map((word) => {
    const equals = word.indexOf('=');
    if (equals <= 0) throw refuse(change, `"${word}" is not KEY=VALUE`);
    return [word.slice(0, equals), word.slice(equals + 1)];
  });
}

function exposed(change: string, spec: string): string[] {
  const match = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
  if (!match) throw refuse(change, `"${spec}" is not a port (PORT[-PORT][/tcp|udp|sctp])`);
  const first = Number(match[1]);
  const last = Number(match[2] ?? match[1]);
  if (first < 1 || last > 65535 || last < first) throw refuse(change, `"${spec}" is not a port range`);
  const protocol = (match[3] ?? 'tcp').toLowerCase();
  return Array.from({ length: last - first + 1 }, (_, i) => `${first + i}/${protocol}`);
}

/** Applies `--change` instructions, in order, to an image config's `config` object. */
export function applyChanges(base: Config, changes: readonly string[]): Config {
  const config: Config = { ...base };
  for (const change of changes) {
    const match = /^\s*(\w+)\s*(.*?)\s*$/s.exec(change);
    if (!match) throw refuse(change, 'it is empty');
    const instruction = (match[1] as string).toUpperCase();
    const rest = match[2] as string;
    switch (instruction) {
      case 'CMD':
        config.Cmd = commandForm(change, rest);
        break;
      case 'ENTRYPOINT':
        config.Entrypoint = commandForm(change, rest);
        break;
      case 'ENV': {
        const env = [...((config.Env as string[] | undefined) ?? [])];
        for (const [key, value] of pairs(change, rest, true)) {
          const at = env.findIndex((e) => e.startsWith(`${key}=`));
          if (at >= 0) env[at] = `${key}=${value}`;
          else env.push(`${key}=${value}`);
        }
        config.Env = env;
        break;
      }
      case 'LABEL':
        config.Labels = {
          ...((config.Labels as Record<string, string> | undefined) ?? {}),
          ...Object.fromEntries(pairs(change, rest, true)),
        };
        break;
      case 'EXPOSE': {
        const ports = { ...((config.ExposedPorts as Record<string, object> | undefined) ?? {}) };
        const specs = rest.split(/\s+/).filter(Boolean);
        if (specs.length === 0) throw refuse(change, 'it needs a port');
        for (const spec of specs) for (const port of exposed(change, spec)) ports[port] = {};
        config.ExposedPorts = ports;
        break;
      }
      case 'VOLUME': {
        const volumes = { ...((config.Volumes as Record<string, object> | undefined) ?? {}) };
        let paths: string[];
        try {
          paths = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : shellWords(rest);
        } catch (error) {
          throw refuse(change, (error as Error).message);
        }
        if (paths.length === 0 || !paths.every((p) => typeof p === 'string' && p !== ''))
          throw refuse(change, 'it needs a path');
        for (const path of paths) volumes[path] = {};
        config.Volumes = volumes;
        break;
      }
      case 'USER':
      case 'WORKDIR':
      case 'STOPSIGNAL': {
        if (rest === '') throw refuse(change, `${instruction} needs a value`);
        const key = { USER: 'User', WORKDIR: 'WorkingDir', STOPSIGNAL: 'StopSignal' }[instruction];
        const previous = typeof config.WorkingDir === 'string' ? config.WorkingDir : '/';
        // A relative WORKDIR continues from the previous one, as in a Dockerfile.
        config[key] =
          instruction === 'WORKDIR' && !rest.startsWith('/')
            ? `${previous.replace(/\/$/, '')}/${rest}`
            : rest;
        break;
      }
      case 'ONBUILD':
        if (rest === '') throw refuse(change, 'ONBUILD needs an instruction');
        config.OnBuild = [...((config.OnBuild as string[] | undefined) ?? []), rest];
        break;
      default:
        throw refuse(change, `${instruction} is not an instruction import can apply`);
    }
  }
  return config;
}
