import { InvalidValueError } from '@koker/core';

/** Docker's PATH when the image sets none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function checkKey(entry: string, source: string): void {
  const key = entry.split('=', 1)[0] ?? '';
  if (key === '' || /\s/.test(key) || key.includes('\0'))
    throw new InvalidValueError('environment variable', entry, `bad variable name (from ${source})`);
}

/**
 * One `-e` value: `KEY=VALUE` as is; a bare `KEY` takes the value koker's own environment has
 * (and is left out when it has none), as Docker does.
 */
export function parseEnvFlag(entry: string, hostEnv: NodeJS.ProcessEnv): string | undefined {
  checkKey(entry, '-e');
  if (entry.includes('=')) return entry;
  const value = hostEnv[entry];
  return value === undefined ? undefined : `${entry}=${value}`;
}

/** An `--env-file`: one `KEY=VALUE` or `KEY` a line, `#` comments and blank lines skipped. */
export function parseEnvFile(text: string, file: string, hostEnv: NodeJS.ProcessEnv): string[] {
  const entries: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    try {
      const entry = parseEnvFlag(line.includes('=') ? line : line.trimEnd(), hostEnv);
      if (entry !== undefined) entries.push(entry);
    } catch {
      throw new InvalidValueError('environment file line', raw, `${file}:${index + 1}: bad variable name`);
    }
  });
  return entries;
}

/** Later entries replace earlier ones with the same key, keeping the first one's position. */
export function mergeEnv(...lists: readonly (readonly string[])[]): string[] {
  const order: string[] = [];
  const values = new Map<string, string>();
  for (const list of lists) {
    for (const entry of list) {
      const key = entry.includes('=') ? entry.slice(0, entry.indexOf('=')) : entry;
      if (!values.has(key)) order.push(key);
      values.set(key, entry);
    }
  }
  return order.map((key) => values.get(key) as string);
}

/** The value of `key` in a `KEY=VALUE` list. */
export function envValue(env: readonly string[], key: string): string | undefined {
  const entry = env.find((e) => e.startsWith(`${key}=`));
  return entry?.slice(key.length + 1);
}
