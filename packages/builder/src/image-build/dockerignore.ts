import { posix } from 'node:path';

interface Rule {
  readonly regex: RegExp;
  readonly exclude: boolean;
}

/** One pattern as a regular expression over a slash-separated relative path (Go's filepath.Match, plus `**`). */
function patternRegex(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        // `**/` matches any number of directories (none included); `**` at the end anything.
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          source += '(?:.*/)?';
        } else source += '.*';
      } else source += '[^/]*';
    } else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) source += '\\[';
      else {
        source += `[${pattern
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < pattern.length) {
      source += (pattern[++i] as string).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/**
 * `.dockerignore`, as Docker reads it: one pattern a line, `#` comments, paths cleaned and
 * relative to the context, `!` re-including; a path is excluded when the last pattern matching
 * it or one of its parent directories excludes. The Dockerfile and `.dockerignore` are still
 * read by the builder itself.
 */
export class DockerIgnore {
  private readonly rules: Rule[];

  constructor(text: string) {
    this.rules = text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => {
        const exclude = !line.startsWith('!');
        const body = posix.normalize((exclude ? line : line.slice(1)).trim()).replace(/^\/+|\/+$/g, '');
        return { regex: patternRegex(body === '.' ? '' : body), exclude };
      });
  }

  get empty(): boolean {
    return this.rules.length === 0;
  }

  /** Whether the context path (relative, no leading '/') is left out of the context. */
  excludes(path: string): boolean {
    const parts = path.split('/').filter(Boolean);
    let excluded = false;
    for (const rule of this.rules) {
      for (let n = parts.length; n >= 1; n--) {
        if (rule.regex.test(parts.slice(0, n).join('/'))) {
          excluded = rule.exclude;
          break;
        }
      }
    }
    return excluded;
  }
}
