import { goString, goTypeName, isPlainObject, sprint, sprintf, sprintln } from './go-format.js';
import { TemplateError } from './template-error.js';

export type TemplateFunction = (...args: unknown[]) => unknown;

/** Go's truth: false, 0, nil, and empty strings, arrays and maps are false; structs are true. */
export function truthy(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value.length > 0;
  if (Array.isArray(value)) return value.length > 0;
  if (isPlainObject(value)) return Object.keys(value).length > 0;
  return true;
}

function comparable(a: unknown, b: unknown, name: string): void {
  const kind = (v: unknown) => (v === null || v === undefined ? 'nil' : typeof v);
  if (kind(a) !== kind(b) && kind(a) !== 'nil' && kind(b) !== 'nil')
    throw new TemplateError(`error calling ${name}: incompatible types for comparison`);
  if (typeof a === 'object' && a !== null)
    throw new TemplateError(`error calling ${name}: invalid type for comparison`);
}

function ordered(name: string, compare: (order: number) => boolean): TemplateFunction {
  return (a, b) => {
    comparable(a, b, name);
    if (typeof a !== 'string' && typeof a !== 'number')
      throw new TemplateError(`error calling ${name}: invalid type for comparison`);
    const order = a < (b as typeof a) ? -1 : a > (b as typeof a) ? 1 : 0;
    return compare(order);
  };
}

function length(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (Array.isArray(value)) return value.length;
  if (isPlainObject(value)) return Object.keys(value).length;
  throw new TemplateError(`error calling len: len of type ${goTypeName(value)}`);
}

function index(item: unknown, ...keys: unknown[]): unknown {
  let value = item;
  for (const key of keys) {
    if (Array.isArray(value) || typeof value === 'string') {
      if (typeof key !== 'number' || !Number.isInteger(key))
        throw new TemplateError(`error calling index: cannot index slice/array with type ${goTypeName(key)}`);
      if (key < 0 || key >= value.length)
        throw new TemplateError(`error calling index: index out of range: ${key}`);
      value = typeof value === 'string' ? value.charCodeAt(key) : value[key];
    } else if (value !== null && typeof value === 'object') {
      value = (value as Record<string, unknown>)[goString(key)];
    } else if (value === undefined || value === null) {
      throw new TemplateError('error calling index: index of untyped nil');
    } else {
      throw new TemplateError(`error calling index: can't index item of type ${goTypeName(value)}`);
    }
  }
  return value;
}

function slice(item: unknown, ...bounds: unknown[]): unknown {
  if (typeof item !== 'string' && !Array.isArray(item))
    throw new TemplateError(`error calling slice: can't slice item of type ${goTypeName(item)}`);
  const [from = 0, to = item.length] = bounds as number[];
  if (from < 0 || to > item.length || from > to)
    throw new TemplateError(`error calling slice: index out of range: ${to}`);
  return item.slice(from, to);
}

/** strings.Title: the first letter of each word in upper case. */
function title(text: unknown): string {
  return goString(text).replace(
    /(^|[^\p{L}\p{N}_'])(\p{L})/gu,
    (_, before: string, letter: string) => before + letter.toUpperCase(),
  );
}

/** Go's builtins (text/template) and Docker's additions (cli/templates). */
export const TEMPLATE_FUNCTIONS: Readonly<Record<string, TemplateFunction>> = {
  and: (...args) => args.find((a) => !truthy(a)) ?? args[args.length - 1],
  or: (...args) => args.find((a) => truthy(a)) ?? args[args.length - 1],
  not: (a) => !truthy(a),
  len: length,
  index,
  slice,
  print: (...args) => sprint(args),
  printf: (format, ...args) => sprintf(goString(format), args),
  println: (...args) => sprintln(args),
  eq: (a, ...others) => {
    if (others.length === 0) throw new TemplateError('error calling eq: missing argument for comparison');
    return others.some((b) => {
      comparable(a, b, 'eq');
      return a === b;
    });
  },
  ne: (a, b) => {
    comparable(a, b, 'ne');
    return a !== b;
  },
  lt: ordered('lt', (o) => o < 0),
  le: ordered('le', (o) => o <= 0),
  gt: ordered('gt', (o) => o > 0),
  ge: ordered('ge', (o) => o >= 0),
  urlquery: (...args) => encodeURIComponent(sprint(args)).replace(/%20/g, '+'),
  // Docker's: JSON without HTML escaping, strings' functions, pad and truncate.
  json: (value) => JSON.stringify(value === undefined ? null : value),
  split: (text, separator) => goString(text).split(goString(separator)),
  join: (items, separator) => {
    if (!Array.isArray(items))
      throw new TemplateError(
        `error calling join: wrong type for value; expected []string; got ${goTypeName(items)}`,
      );
    return items.map(goString).join(goString(separator));
  },
  title,
  lower: (text) => goString(text).toLowerCase(),
  upper: (text) => goString(text).toUpperCase(),
  pad: (text, prefix, suffix) => {
    const source = goString(text);
    if (source === '') return source;
    return ' '.repeat(Number(prefix)) + source + ' '.repeat(Number(suffix));
  },
  truncate: (text, size) => {
    const source = goString(text);
    return source.length < Number(size) ? source : source.slice(0, Number(size));
  },
};

/** For a table's header line Docker's functions return their first argument as it is. */
export const HEADER_FUNCTIONS: Readonly<Record<string, TemplateFunction>> = {
  ...TEMPLATE_FUNCTIONS,
  json: (v) => v,
  split: (v) => v,
  join: (v) => v,
  title: (v) => v,
  lower: (v) => v,
  upper: (v) => v,
  pad: (v) => v,
  truncate: (v) => v,
};
