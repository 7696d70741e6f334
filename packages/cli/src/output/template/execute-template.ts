import { goString, isPlainObject } from './go-format.js';
import { parseTemplate, type Operand, type Pipeline, type TemplateNode } from './parse-template.js';
import { TemplateError } from './template-error.js';
import { TEMPLATE_FUNCTIONS, truthy, type TemplateFunction } from './template-functions.js';

type ControlNode = Extract<TemplateNode, { readonly list: unknown }>;

class Break {}
class Continue {}

/** A parsed Go template, run against values: plain objects behave as Go maps, class instances as structs. */
export class GoTemplate {
  private readonly nodes: readonly TemplateNode[];

  constructor(
    readonly source: string,
    private readonly functions: Readonly<Record<string, TemplateFunction>> = TEMPLATE_FUNCTIONS,
  ) {
    this.nodes = parseTemplate(source, (name) => name in this.functions);
  }

  /** This template with other functions (a table's header line). */
  withFunctions(functions: Readonly<Record<string, TemplateFunction>>): GoTemplate {
    return new GoTemplate(this.source, functions);
  }

  execute(data: unknown): string {
    const run = new Execution(this.source, this.functions, data);
    run.list(this.nodes, data);
    return run.out;
  }
}

interface Variable {
  readonly name: string;
  value: unknown;
}

class Execution {
  out = '';
  private readonly vars: Variable[];

  constructor(
    private readonly source: string,
    private readonly functions: Readonly<Record<string, TemplateFunction>>,
    root: unknown,
  ) {
    this.vars = [{ name: '$', value: root }];
  }

  private fail(at: number, what: string, message: string): TemplateError {
    const before = this.source.slice(0, at);
    const line = before.split('\n').length;
    const column = at - before.lastIndexOf('\n') - 1;
    return new TemplateError(`template: :${line}:${column}: executing "" at <${what}>: ${message}`);
  }

  list(nodes: readonly TemplateNode[], dot: unknown): void {
    for (const node of nodes) this.node(node, dot);
  }

  /** Runs `body` with the variables it declares dropped afterwards (Go's scope of a control block). */
  private scoped(body: () => void): void {
    const depth = this.vars.length;
    try {
      body();
    } finally {
      this.vars.length = depth;
    }
  }

  private node(node: TemplateNode, dot: unknown): void {
    switch (node.kind) {
      case 'text':
        this.out += node.text;
        return;
      case 'action': {
        const value = this.pipeline(node.pipe, dot);
        if (node.pipe.declare.length === 0) this.out += goString(value);
        return;
      }
      case 'if':
      case 'with':
        this.scoped(() => {
          const value = this.pipeline(node.pipe, dot);
          if (truthy(value)) this.list(node.list, node.kind === 'with' ? value : dot);
          else if (node.otherwise) this.list(node.otherwise, dot);
        });
        return;
      case 'range':
        this.scoped(() => this.range(node, dot));
        return;
      case 'break':
        throw new Break();
      case 'continue':
        throw new Continue();
    }
  }

  private range(node: ControlNode, dot: unknown): void {
    // The declared variables get the key and element per iteration, not the whole value.
    const pipe: Pipeline = { ...node.pipe, declare: [] };
    const value = this.pipeline(pipe, dot);
    let entries: [unknown, unknown][];
    if (value === undefined || value === null) entries = [];
    else if (Array.isArray(value)) entries = value.map((v, i) => [i, v]);
    else if (isPlainObject(value))
      entries = Object.keys(value)
        .sort()
        .map((k) => [k, value[k]]);
    else if (typeof value === 'number' && Number.isInteger(value))
      entries = Array.from({ length: Math.max(0, value) }, (_, i) => [i, i]);
    else throw this.fail(node.pipe.at, node.pipe.source, `range can't iterate over ${goString(value)}`);
    if (entries.length === 0) {
      if (node.otherwise) this.list(node.otherwise, dot);
      return;
    }
    const [first, second] = node.pipe.declare;
    for (const [key, element] of entries) {
      const depth = this.vars.length;
      if (first !== undefined && second !== undefined)
        this.vars.push({ name: first, value: key }, { name: second, value: element });
      else if (first !== undefined) this.vars.push({ name: first, value: element });
      try {
        this.list(node.list, element);
      } catch (signal) {
        if (signal instanceof Break) break;
        if (!(signal instanceof Continue)) throw signal;
      } finally {
        this.vars.length = depth;
      }
    }
  }

  private pipeline(pipe: Pipeline, dot: unknown): unknown {
    let value: unknown;
    let hasValue = false;
    for (const command of pipe.commands) {
      value = this.command(command, dot, hasValue ? [value] : []);
      hasValue = true;
    }
    for (const name of pipe.declare) {
      if (pipe.assign) {
        const existing = this.lookup(name, pipe.at);
        existing.value = value;
      } else {
        this.vars.push({ name, value });
      }
    }
    return value;
  }

  private lookup(name: string, at: number): Variable {
    for (let i = this.vars.length - 1; i >= 0; i--)
      if (this.vars[i]?.name === name) return this.vars[i] as Variable;
    throw this.fail(at, name, `undefined variable: ${name}`);
  }

  private command(operands: readonly Operand[], dot: unknown, piped: unknown[]): unknown {
    const [head, ...rest] = operands as [Operand, ...Operand[]];
    const args = () => [...rest.map((o) => this.argument(o, dot)), ...piped];
    switch (head.kind) {
      case 'function': {
        const fn = this.functions[head.name] as TemplateFunction;
        try {
          return fn(...args());
        } catch (error) {
          if (error instanceof TemplateError) throw this.fail(head.at, head.name, error.message);
          throw error;
        }
      }
      case 'field':
        return this.chain(dot, head.chain, args(), head.at, '');
      case 'variable':
        return this.chain(this.lookup(head.name, head.at).value, head.chain, args(), head.at, head.name);
      case 'pipe':
        return this.chain(
          this.pipeline(head.pipe, dot),
          head.chain,
          args(),
          head.at,
          `(${head.pipe.source})`,
        );
      case 'dot':
      case 'literal': {
        if (rest.length > 0 || piped.length > 0)
          throw this.fail(
            head.at,
            head.kind === 'dot' ? '.' : goString(head.value),
            `can't give argument to non-function`,
          );
        return head.kind === 'dot' ? dot : head.value;
      }
    }
  }

  /** An operand as an argument: a value, never called with arguments of its own. */
  private argument(operand: Operand, dot: unknown): unknown {
    if (operand.kind === 'function') return this.command([operand], dot, []);
    return this.command([operand], dot, []);
  }

  /** `.A.B.C` from `receiver`: the last one called with `args` when it is a method. */
  private chain(
    receiver: unknown,
    chain: readonly string[],
    args: unknown[],
    at: number,
    start: string,
  ): unknown {
    if (chain.length === 0) {
      if (args.length > 0) throw this.fail(at, start, `can't give argument to non-function ${start}`);
      return receiver;
    }
    let value = receiver;
    let path = start;
    chain.forEach((name, i) => {
      path += `.${name}`;
      const last = i === chain.length - 1;
      value = this.field(value, name, last ? args : [], at, path);
    });
    return value;
  }

  private field(receiver: unknown, name: string, args: unknown[], at: number, path: string): unknown {
    if (receiver === undefined || receiver === null)
      throw this.fail(at, path, `nil pointer evaluating interface {}.${name}`);
    if (typeof receiver !== 'object')
      throw this.fail(at, path, `can't evaluate field ${name} in type ${typeof receiver}`);
    const object = receiver as Record<string, unknown>;
    if (isPlainObject(receiver)) {
      // A JSON map: a missing key is Go's zero value, printed `<no value>`.
      const value = Object.hasOwn(object, name) ? object[name] : undefined;
      if (typeof value === 'function') return (value as TemplateFunction).call(receiver, ...args);
      if (args.length > 0) throw this.fail(at, path, `${name} is not a method but has arguments`);
      return value;
    }
    if (Array.isArray(receiver) || !(name in object) || name.startsWith('_') || name === 'constructor')
      throw this.fail(at, path, `can't evaluate field ${name} in type ${receiverName(receiver)}`);
    const value = object[name];
    if (typeof value === 'function') {
      try {
        return (value as TemplateFunction).apply(receiver, args);
      } catch (error) {
        if (error instanceof TemplateError)
          throw this.fail(at, path, `error calling ${name}: ${error.message}`);
        throw error;
      }
    }
    if (args.length > 0) throw this.fail(at, path, `${name} has arguments but cannot be invoked as function`);
    return value;
  }
}

function receiverName(receiver: unknown): string {
  if (Array.isArray(receiver)) return '[]interface {}';
  const name = (receiver as { constructor?: { name?: string } }).constructor?.name;
  return name ? `*formatter.${name}` : 'interface {}';
}
