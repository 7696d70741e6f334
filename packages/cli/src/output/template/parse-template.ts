import { TemplateError } from './template-error.js';

/**
 * The syntax tree of a Go text/template (the part Docker's `--format` uses): text, actions with
 * pipelines, variables, `if`/`with`/`range` with `else`/`else if`, comments and `{{-`/`-}}` trims.
 * `define`/`template`/`block` are refused: Docker's formats never need them.
 */
export type Operand =
  | { readonly kind: 'dot'; readonly at: number }
  | { readonly kind: 'field'; readonly chain: readonly string[]; readonly at: number }
  | {
      readonly kind: 'variable';
      readonly name: string;
      readonly chain: readonly string[];
      readonly at: number;
    }
  | { readonly kind: 'function'; readonly name: string; readonly at: number }
  | { readonly kind: 'literal'; readonly value: string | number | boolean | null; readonly at: number }
  | {
      readonly kind: 'pipe';
      readonly pipe: Pipeline;
      readonly chain: readonly string[];
      readonly at: number;
    };

export interface Pipeline {
  readonly declare: readonly string[];
  /** `$x = ...` assigns an existing variable; `$x := ...` declares one. */
  readonly assign: boolean;
  readonly commands: readonly (readonly Operand[])[];
  readonly at: number;
  readonly source: string;
}

export type TemplateNode =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'action'; readonly pipe: Pipeline }
  | {
      readonly kind: 'if' | 'with' | 'range';
      readonly pipe: Pipeline;
      readonly list: readonly TemplateNode[];
      readonly otherwise: readonly TemplateNode[] | undefined;
    }
  | { readonly kind: 'break' | 'continue'; readonly at: number };

type Token =
  | { type: 'field'; name: string; at: number; spaced: boolean }
  | { type: 'dot'; at: number; spaced: boolean }
  | { type: 'variable'; name: string; at: number; spaced: boolean }
  | { type: 'identifier'; name: string; at: number; spaced: boolean }
  | { type: 'string' | 'number'; value: string | number; at: number; spaced: boolean }
  | { type: 'punct'; value: '|' | '(' | ')' | ':=' | '=' | ','; at: number; spaced: boolean };

/** A Go template source, parsed once; `isFunction` says which names are functions. */
export function parseTemplate(source: string, isFunction: (name: string) => boolean): TemplateNode[] {
  const parser = new Parser(source, isFunction);
  const { list, ended } = parser.list();
  if (ended !== 'eof') throw parser.error(parser.lastAt, `unexpected {{${ended}}}`);
  return list;
}

interface Action {
  readonly at: number;
  readonly body: string;
  readonly bodyAt: number;
}

class Parser {
  private pos = 0;
  lastAt = 0;
  private pendingText = '';

  constructor(
    private readonly source: string,
    private readonly isFunction: (name: string) => boolean,
  ) {}

  error(at: number, message: string): TemplateError {
    const line = this.source.slice(0, at).split('\n').length;
    return new TemplateError(`template: :${line}: ${message}`);
  }

  /** The next text and the next action (undefined at the end of the source). */
  private next(): { text: string; action: Action | undefined } {
    const open = this.source.indexOf('{{', this.pos);
    if (open < 0) {
      const text = this.pendingText + this.source.slice(this.pos);
      this.pendingText = '';
      this.pos = this.source.length;
      return { text, action: undefined };
    }
    let text = this.pendingText + this.source.slice(this.pos, open);
    this.pendingText = '';
    let bodyAt = open + 2;
    if (/^-[ \t\r\n]/.test(this.source.slice(bodyAt, bodyAt + 2))) {
      text = text.replace(/[ \t\r\n]+$/, '');
      bodyAt += 1;
    }
    const close = this.closeOf(bodyAt);
    if (close < 0) throw this.error(open, 'unclosed action');
    let bodyEnd = close;
    let after = close + 2;
    const trimRight = /[ \t\r\n]-$/.test(this.source.slice(close - 2, close));
    if (trimRight) bodyEnd = close - 1;
    if (trimRight) {
      const rest = this.source.slice(after);
      after += rest.length - rest.replace(/^[ \t\r\n]+/, '').length;
    }
    this.pos = after;
    this.lastAt = open;
    return { text, action: { at: open, body: this.source.slice(bodyAt, bodyEnd), bodyAt } };
  }

  /** Where the `}}` that closes the action starting at `from` is (quotes may hold `}}`). */
  private closeOf(from: number): number {
    for (let i = from; i < this.source.length; i++) {
      const c = this.source[i];
      if (c === '"' || c === '`' || c === "'") {
        const end = c === '`' ? this.source.indexOf('`', i + 1) : this.quoteEnd(i, c);
        if (end < 0) return -1;
        i = end;
      } else if (c === '}' && this.source[i + 1] === '}') return i;
    }
    return -1;
  }

  private quoteEnd(start: number, quote: string): number {
    for (let i = start + 1; i < this.source.length; i++) {
      if (this.source[i] === '\\') i++;
      else if (this.source[i] === quote) return i;
      else if (this.source[i] === '\n') return -1;
    }
    return -1;
  }

  /** Nodes up to `{{end}}`, `{{else ...}}` or the end of the source. */
  list(): { list: TemplateNode[]; ended: string; elseBody?: string; elseAt?: number } {
    const list: TemplateNode[] = [];
    for (;;) {
      const { text, action } = this.next();
      if (text) list.push({ kind: 'text', text });
      if (!action) return { list, ended: 'eof' };
      const body = action.body.trim();
      if (body.startsWith('/*')) {
        if (!body.endsWith('*/')) throw this.error(action.at, 'unclosed comment');
        continue;
      }
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(body)?.[0];
      const rest = word ? body.slice(word.length) : body;
      const restAt = action.bodyAt + action.body.indexOf(body) + (word?.length ?? 0);
      switch (word) {
        case 'end':
          if (rest.trim()) throw this.error(action.at, `unexpected ${JSON.stringify(rest.trim())} in end`);
          return { list, ended: 'end' };
        case 'else':
          return { list, ended: 'else', elseBody: rest, elseAt: restAt };
        case 'if':
        case 'with':
        case 'range':
          list.push(this.control(word, rest, restAt));
          break;
        case 'break':
        case 'continue':
          list.push({ kind: word, at: action.at });
          break;
        case 'define':
        case 'template':
        case 'block':
          throw this.error(action.at, `{{${word}}} is not supported in --format`);
        default:
          list.push({ kind: 'action', pipe: this.pipeline(body, action.bodyAt + action.body.indexOf(body)) });
      }
    }
  }

  private control(kind: 'if' | 'with' | 'range', body: string, at: number): TemplateNode {
    if (!body.trim()) throw this.error(at, `missing value for ${kind}`);
    const pipe = this.pipeline(body, at);
    const inner = this.list();
    if (inner.ended === 'eof') throw this.error(at, 'unexpected EOF');
    if (inner.ended === 'end') return { kind, pipe, list: inner.list, otherwise: undefined };
    const elseBody = (inner.elseBody ?? '').trim();
    const chained = /^(if|with)\b/.exec(elseBody)?.[1] as 'if' | 'with' | undefined;
    if (chained) {
      // `{{else if x}}` is `{{else}}{{if x}}...{{end}}` sharing the outer `{{end}}`.
      const nested = this.control(chained, elseBody.slice(chained.length), inner.elseAt ?? at);
      return { kind, pipe, list: inner.list, otherwise: [nested] };
    }
    if (elseBody) throw this.error(at, `unexpected ${JSON.stringify(elseBody)} in else`);
    const otherwise = this.list();
    if (otherwise.ended !== 'end') throw this.error(at, `expected end; found ${otherwise.ended}`);
    return { kind, pipe, list: inner.list, otherwise: otherwise.list };
  }

  private pipeline(body: string, at: number): Pipeline {
    const tokens = tokenize(body, at, (offset, message) => this.error(offset, message));
    return new PipelineParser(tokens, body, at, this.isFunction, (offset, message) =>
      this.error(offset, message),
    ).pipeline(true);
  }
}

function tokenize(body: string, base: number, fail: (at: number, message: string) => TemplateError): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let spaced = true;
  while (i < body.length) {
    const c = body[i] as string;
    const at = base + i;
    if (/\s/.test(c)) {
      i++;
      spaced = true;
      continue;
    }
    if (c === '"' || c === "'") {
      let end = i + 1;
      while (end < body.length && body[end] !== c) end += body[end] === '\\' ? 2 : 1;
      if (end >= body.length) throw fail(at, 'unterminated quoted string');
      const raw = body.slice(i, end + 1);
      let value: string | number;
      try {
        value =
          c === '"'
            ? (JSON.parse(raw.replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1')) as string)
            : (raw.codePointAt(1) ?? 0);
      } catch {
        throw fail(at, `bad quoted string ${raw}`);
      }
      tokens.push(c === '"' ? { type: 'string', value, at, spaced } : { type: 'number', value, at, spaced });
      i = end + 1;
    } else if (c === '`') {
      const end = body.indexOf('`', i + 1);
      if (end < 0) throw fail(at, 'unterminated raw quoted string');
      tokens.push({ type: 'string', value: body.slice(i + 1, end), at, spaced });
      i = end + 1;
    } else if (c === '.' && /[A-Za-z_]/.test(body[i + 1] ?? '')) {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(body.slice(i + 1))?.[0] as string;
      tokens.push({ type: 'field', name, at, spaced });
      i += 1 + name.length;
    } else if (c === '.' && !/[0-9]/.test(body[i + 1] ?? '')) {
      tokens.push({ type: 'dot', at, spaced });
      i++;
    } else if (c === '$') {
      const name = /^\$[A-Za-z0-9_]*/.exec(body.slice(i))?.[0] as string;
      tokens.push({ type: 'variable', name, at, spaced });
      i += name.length;
    } else if (/[0-9+\-.]/.test(c)) {
      const number = /^[+-]?(0[xX][0-9a-fA-F_]+|[0-9_]*\.?[0-9_]+([eE][+-]?[0-9]+)?)/.exec(
        body.slice(i),
      )?.[0];
      if (!number) throw fail(at, `bad number syntax: ${JSON.stringify(body.slice(i, i + 5))}`);
      tokens.push({ type: 'number', value: Number(number.replace(/_/g, '')), at, spaced });
      i += number.length;
    } else if (/[A-Za-z_]/.test(c)) {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(body.slice(i))?.[0] as string;
      tokens.push({ type: 'identifier', name, at, spaced });
      i += name.length;
    } else if (c === ':' && body[i + 1] === '=') {
      tokens.push({ type: 'punct', value: ':=', at, spaced });
      i += 2;
    } else if (c === '|' || c === '(' || c === ')' || c === '=' || c === ',') {
      tokens.push({ type: 'punct', value: c, at, spaced });
      i++;
    } else {
      throw fail(at, `unexpected ${JSON.stringify(c)} in command`);
    }
    spaced = false;
  }
  return tokens;
}

class PipelineParser {
  private i = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly source: string,
    private readonly at: number,
    private readonly isFunction: (name: string) => boolean,
    private readonly fail: (at: number, message: string) => TemplateError,
  ) {}

  pipeline(top: boolean): Pipeline {
    const declare: string[] = [];
    let assign = false;
    // `$x :=`, `$i, $e :=` (range), `$x =`.
    const lookahead = this.tokens.slice(this.i, this.i + 4);
    const declares = (n: number) => {
      const op = lookahead[n];
      return op?.type === 'punct' && (op.value === ':=' || op.value === '=');
    };
    if (top && lookahead[0]?.type === 'variable') {
      if (declares(1)) {
        declare.push(lookahead[0].name);
        assign = (lookahead[1] as { value: string }).value === '=';
        this.i += 2;
      } else if (
        lookahead[1]?.type === 'punct' &&
        lookahead[1].value === ',' &&
        lookahead[2]?.type === 'variable' &&
        declares(3)
      ) {
        declare.push(lookahead[0].name, lookahead[2].name);
        this.i += 4;
      }
    }
    const commands: Operand[][] = [];
    for (;;) {
      const command = this.command();
      if (command.length === 0) throw this.fail(this.tokens[this.i]?.at ?? this.at, 'missing command');
      commands.push(command);
      const token = this.tokens[this.i];
      if (token?.type === 'punct' && token.value === '|') {
        this.i++;
        continue;
      }
      if (token === undefined || (!top && token.type === 'punct' && token.value === ')')) break;
      throw this.fail(token.at, `unexpected token in command`);
    }
    return { declare, assign, commands, at: this.at, source: this.source.trim() };
  }

  private command(): Operand[] {
    const operands: Operand[] = [];
    for (;;) {
      const token = this.tokens[this.i];
      if (!token || (token.type === 'punct' && (token.value === '|' || token.value === ')'))) return operands;
      operands.push(this.operand());
    }
  }

  /** Field names that follow without a space (`$x.A.B`, `(pipe).A`). */
  private chain(): string[] {
    const chain: string[] = [];
    for (
      let token = this.tokens[this.i];
      token?.type === 'field' && !token.spaced;
      token = this.tokens[this.i]
    ) {
      chain.push(token.name);
      this.i++;
    }
    return chain;
  }

  private operand(): Operand {
    const token = this.tokens[this.i++] as Token;
    switch (token.type) {
      case 'field':
        return { kind: 'field', chain: [token.name, ...this.chain()], at: token.at };
      case 'dot':
        return { kind: 'dot', at: token.at };
      case 'variable':
        return { kind: 'variable', name: token.name, chain: this.chain(), at: token.at };
      case 'string':
      case 'number':
        return { kind: 'literal', value: token.value, at: token.at };
      case 'identifier':
        if (token.name === 'true' || token.name === 'false')
          return { kind: 'literal', value: token.name === 'true', at: token.at };
        if (token.name === 'nil') return { kind: 'literal', value: null, at: token.at };
        if (!this.isFunction(token.name)) throw this.fail(token.at, `function "${token.name}" not defined`);
        return { kind: 'function', name: token.name, at: token.at };
      case 'punct':
        if (token.value === '(') {
          const pipe = this.pipeline(false);
          const close = this.tokens[this.i++];
          if (close?.type !== 'punct' || close.value !== ')')
            throw this.fail(token.at, 'unclosed left paren');
          return { kind: 'pipe', pipe, chain: this.chain(), at: token.at };
        }
        throw this.fail(token.at, `unexpected "${token.value}" in operand`);
    }
  }
}
