import { DockerfileError } from './dockerfile-error.js';

/** Variables visible to an instruction: ARGs in scope and the image's ENV, ENV winning. */
export type Variables = ReadonlyMap<string, string>;

/**
 * Docker's shell-like word processing for the instructions that expand variables (ENV, LABEL,
 * ARG, COPY, ADD, WORKDIR, USER, EXPOSE, VOLUME, STOPSIGNAL, FROM): `$VAR`, `${VAR}`,
 * `${VAR:-default}`, `${VAR:+alternative}`, single quotes literal, double quotes expanding, the
 * escape character escaping the next one. Returns the words (split on unquoted whitespace).
 */
export function expandWords(text: string, vars: Variables, escape = '\\', split = true): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  const expandVar = (): string => {
    // At '$'.
    i++;
    if (text[i] === '{') {
      const end = text.indexOf('}', i);
      if (end < 0) throw new DockerfileError(`missing '}' in ${text}`);
      const body = text.slice(i + 1, end);
      i = end + 1;
      const op = /^([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([\s\S]*))?$/.exec(body);
      if (!op) throw new DockerfileError(`bad substitution \${${body}}`);
      const value = vars.get(op[1] as string);
      if (op[2] === '-')
        return value === undefined || value === '' ? expandString(op[3] ?? '', vars, escape) : value;
      if (op[2] === '+')
        return value === undefined || value === '' ? '' : expandString(op[3] ?? '', vars, escape);
      return value ?? '';
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))?.[0];
    if (!name) return '$';
    i += name.length;
    return vars.get(name) ?? '';
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (split && /\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
      continue;
    }
    inWord = true;
    if (c === escape) {
      if (i + 1 < text.length) word += text[i + 1];
      i += 2;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0)
        throw new DockerfileError(`unexpected end of statement while looking for matching single-quote`);
      word += text.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === escape && (text[i + 1] === '"' || text[i + 1] === escape || text[i + 1] === '$')) {
          word += text[i + 1];
          i += 2;
        } else if (text[i] === '$') word += expandVar();
        else word += text[i++];
      }
      if (i >= text.length)
        throw new DockerfileError(`unexpected end of statement while looking for matching double-quote`);
      i++;
    } else if (c === '$') word += expandVar();
    else {
      word += c;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** The text with its variables expanded and quotes processed, whitespace kept as one word would. */
export function expandString(text: string, vars: Variables, escape = '\\'): string {
  return expandWords(text, vars, escape, false).join('');
}

/** `["a", "b"]`: the exec (JSON) form, or undefined for the shell form. */
export function jsonForm(args: string): string[] | undefined {
  const trimmed = args.trim();
  if (!trimmed.startsWith('[')) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return Array.isArray(value) && value.every((v) => typeof v === 'string')
      ? (value as string[])
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `KEY=VALUE ...` pairs (ENV, LABEL, ARG), or the old single-pair form `KEY VALUE` (the rest of
 * the line is the value). Values are expanded unless `expand` is false.
 */
export function keyValuePairs(
  keyword: string,
  args: string,
  vars: Variables,
  escape = '\\',
  options: { allowBare?: boolean } = {},
): [string, string | undefined][] {
  const trimmed = args.trim();
  if (trimmed === '') throw new DockerfileError(`${keyword} requires at least one argument`);
  const first = /^([^\s=]+)(\s+|$)/.exec(trimmed);
  if (first && !options.allowBare) {
    // `ENV KEY value with spaces`
    const value = trimmed.slice(first[0].length);
    if (value === '') throw new DockerfileError(`${keyword} names only the key ${first[1]} (no value)`);
    return [[first[1] as string, expandString(value, vars, escape)]];
  }
  return expandWords(trimmed, vars, escape).map((word) => {
    const at = word.indexOf('=');
    if (at < 0) {
      if (options.allowBare) return [word, undefined];
      throw new DockerfileError(`${keyword} names ${word} without a value`);
    }
    if (at === 0) throw new DockerfileError(`${keyword} names an empty key`);
    return [word.slice(0, at), word.slice(at + 1)];
  });
}

/**
 * Variables only, quotes and escapes left as they are: a heredoc body, as a shell expands an
 * unquoted heredoc (`$V`, `${V}`, `${V:-default}`, `${V:+alt}`; `\$` keeps a dollar sign).
 */
export function expandVariables(text: string, vars: Variables): string {
  return text.replace(
    /\\\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, braced?: string, op?: string, word?: string, bare?: string) => {
      if (match === '\\$') return '$';
      const value = vars.get((braced ?? bare) as string);
      if (op === '-') return value === undefined || value === '' ? (word ?? '') : value;
      if (op === '+') return value === undefined || value === '' ? '' : (word ?? '');
      return value ?? '';
    },
  );
}
