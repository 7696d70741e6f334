import { DockerfileError } from './dockerfile-error.js';

/** One instruction as written: keyword upper-cased, leading `--flags` split off, the rest raw. */
export interface Instruction {
  readonly keyword: string;
  /** `--name=value` flags before the arguments (`--from=build`, `--chown=1:1`); `--x` alone is 'true'. */
  readonly flags: Readonly<Record<string, string>>;
  /** Every value of each flag, in order: the ones that repeat (`RUN --mount=... --mount=...`). */
  readonly flagValues: Readonly<Record<string, readonly string[]>>;
  /** The arguments, continuation lines joined (escape char and newline removed). */
  readonly args: string;
  /** Heredoc bodies the arguments name (`<<EOF`), in order. */
  readonly heredocs: readonly Heredoc[];
  /** 1-based line of the keyword. */
  readonly line: number;
  /** The instruction as Docker shows it in history and progress: keyword, flags, arguments. */
  readonly text: string;
}

export interface Heredoc {
  readonly name: string;
  readonly content: string;
  /** `<<"EOF"` or `<<'EOF'`: no variable expansion in the body. */
  readonly quoted: boolean;
}

export interface Dockerfile {
  /** `# escape=` (default backslash). */
  readonly escape: '\\' | '`';
  /** `# syntax=`: recorded, not acted on (koker has one frontend). */
  readonly syntax?: string;
  readonly instructions: readonly Instruction[];
}

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const HEREDOC = /<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g;
/** Instructions whose arguments may carry heredocs (BuildKit's set). */
const HEREDOC_KEYWORDS = new Set(['RUN', 'COPY', 'ADD']);

/**
 * Parses a Dockerfile the way Docker's parser does: parser directives (`escape`, `syntax`) in
 * leading comments, comment lines dropped (also inside a continued instruction), lines ending
 * in the escape character continued, keywords case-insensitive, heredocs (`<<EOF` ... `EOF`,
 * `<<-` stripping leading tabs) for RUN, COPY and ADD.
 */
export function parseDockerfile(text: string): Dockerfile {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let escape: '\\' | '`' = '\\';
  let syntax: string | undefined;
  let i = 0;
  const seen = new Set<string>();
  for (; i < lines.length; i++) {
    const match = DIRECTIVE.exec(lines[i] as string);
    if (!match) break;
    const name = (match[1] as string).toLowerCase();
    const value = match[2] as string;
    if (seen.has(name)) throw new DockerfileError(`only one ${name} parser directive can be used`, i + 1);
    seen.add(name);
    if (name === 'escape') {
      if (value !== '\\' && value !== '`')
        throw new DockerfileError(`invalid escape token '${value}' does not match ` + '` or \\', i + 1);
      escape = value;
    } else if (name === 'syntax') syntax = value;
  }
  const instructions: Instruction[] = [];
  while (i < lines.length) {
    const raw = lines[i] as string;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      i++;
      continue;
    }
    const start = i + 1;
    let joined = '';
    let line = raw.replace(/^\s+/, '');
    for (;;) {
      const stripped = line.replace(/\s+$/, '');
      if (stripped.endsWith(escape)) {
        joined += stripped.slice(0, -1);
        i++;
        // Comment and empty lines inside a continuation are dropped, as Docker does.
        while (i < lines.length && /^\s*(#.*)?$/.test(lines[i] as string)) i++;
        if (i >= lines.length) break;
        line = lines[i] as string;
        continue;
      }
      joined += line;
      i++;
      break;
    }
    const keywordMatch = /^(\S+)\s*([\s\S]*)$/.exec(joined.trim());
    if (!keywordMatch) continue;
    const keyword = (keywordMatch[1] as string).toUpperCase();
    let rest = keywordMatch[2] as string;
    const flags: Record<string, string> = {};
    const flagValues: Record<string, string[]> = {};
    for (;;) {
      const flag = /^--([a-zA-Z][a-zA-Z0-9-]*)(?:=(\S*))?(?:\s+|$)/.exec(rest);
      if (!flag || keyword === 'ENV' || keyword === 'LABEL' || keyword === 'ARG') break;
      flags[flag[1] as string] = flag[2] ?? 'true';
      (flagValues[flag[1] as string] ??= []).push(flag[2] ?? 'true');
      rest = rest.slice(flag[0].length);
    }
    const heredocs: Heredoc[] = [];
    if (HEREDOC_KEYWORDS.has(keyword)) {
      for (const match of rest.matchAll(HEREDOC)) {
        const name = match[3] as string;
        const stripTabs = match[1] === '-';
        const body: string[] = [];
        while (i < lines.length && (lines[i] as string) !== name) {
          const bodyLine = lines[i] as string;
          body.push(stripTabs ? bodyLine.replace(/^\t+/, '') : bodyLine);
          i++;
        }
        if (i >= lines.length) throw new DockerfileError(`unterminated heredoc ${name}`, start);
        i++;
        heredocs.push({ name, content: body.length ? `${body.join('\n')}\n` : '', quoted: match[2] !== '' });
      }
    }
    const flagText = Object.entries(flagValues)
      .flatMap(([k, values]) => values.map((v) => `--${k}=${v} `))
      .join('');
    instructions.push({
      keyword,
      flags,
      flagValues,
      args: rest.trim(),
      heredocs,
      line: start,
      text: `${keyword} ${flagText}${rest.trim()}`.trim(),
    });
  }
  return { escape, ...(syntax ? { syntax } : {}), instructions };
}
