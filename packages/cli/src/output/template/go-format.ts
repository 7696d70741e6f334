/**
 * Values printed as Go's fmt prints them, for the JavaScript values templates see: a missing key
 * is `<no value>`, null `<nil>`, arrays `[a b]`, objects (JSON maps) `map[k:v]` with sorted keys.
 */
export function goString(value: unknown): string {
  if (value === undefined) return '<no value>';
  if (value === null) return '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return goNumber(value);
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (typeof value === 'function') return '<func>';
  if (Array.isArray(value)) return `[${value.map(goString).join(' ')}]`;
  if (value instanceof Date) return value.toISOString();
  const record = value as Record<string, unknown>;
  if (isPlainObject(value))
    return `map[${Object.keys(record)
      .sort()
      .map((k) => `${k}:${goString(record[k])}`)
      .join(' ')}]`;
  // A class instance is a Go struct: its values in order, in braces.
  return `{${Object.keys(record)
    .map((k) => goString(record[k]))
    .join(' ')}}`;
}

/** Go's %v of a float64 for fractions, an integer's digits otherwise. */
function goNumber(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return String(value);
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? '+Inf' : '-Inf';
  const exponent = Math.floor(Math.log10(Math.abs(value)));
  if (exponent < -4 || exponent >= 21) return value.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  return String(value);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Go's type names in fmt's error verbs (`%!d(string=x)`). */
export function goTypeName(value: unknown): string {
  if (value === undefined || value === null) return '<nil>';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float64';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return '[]interface {}';
  if (isPlainObject(value)) return 'map[string]interface {}';
  return 'struct';
}

/** Go's fmt.Sprint: a space between operands when neither is a string. */
export function sprint(args: readonly unknown[]): string {
  let out = '';
  args.forEach((arg, i) => {
    if (i > 0 && typeof arg !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += goString(arg);
  });
  return out;
}

export function sprintln(args: readonly unknown[]): string {
  return `${args.map(goString).join(' ')}\n`;
}

/** Go's fmt.Sprintf for the verbs templates use: v s q d x X o b f e g t c T %, flags `-+0 #`, width, precision. */
export function sprintf(format: string, args: readonly unknown[]): string {
  let out = '';
  let next = 0;
  const verb = /%([-+# 0]*)(\*|\d+)?(?:\.(\*|\d*))?([a-zA-Z%])/g;
  let last = 0;
  for (let match = verb.exec(format); match; match = verb.exec(format)) {
    out += format.slice(last, match.index);
    last = verb.lastIndex;
    const [, flags = '', widthText, precisionText, letter = 'v'] = match;
    if (letter === '%') {
      out += '%';
      continue;
    }
    const takeInt = (text: string | undefined) => {
      if (text !== '*') return text === undefined || text === '' ? undefined : Number(text);
      const value = args[next++];
      return typeof value === 'number' ? value : undefined;
    };
    const width = takeInt(widthText);
    const precision = precisionText === undefined ? undefined : (takeInt(precisionText) ?? 0);
    if (next >= args.length) {
      out += `%!${letter}(MISSING)`;
      continue;
    }
    const arg = args[next++];
    const text = formatVerb(letter, flags, precision, arg);
    out += pad(text, width, flags);
  }
  out += format.slice(last);
  if (next < args.length)
    out += `%!(EXTRA ${args
      .slice(next)
      .map((a) => `${goTypeName(a)}=${goString(a)}`)
      .join(', ')})`;
  return out;
}

function pad(text: string, width: number | undefined, flags: string): string {
  if (width === undefined || [...text].length >= width) return text;
  const fill = width - [...text].length;
  if (flags.includes('-')) return text + ' '.repeat(fill);
  if (flags.includes('0') && /^[+-]?[0-9]/.test(text)) {
    const sign = /^[+-]/.test(text) ? (text[0] as string) : '';
    return sign + '0'.repeat(fill) + text.slice(sign.length);
  }
  return ' '.repeat(fill) + text;
}

function formatVerb(letter: string, flags: string, precision: number | undefined, arg: unknown): string {
  const bad = () => `%!${letter}(${goTypeName(arg)}=${goString(arg)})`;
  const signed = (text: string, value: number) =>
    value >= 0 && flags.includes('+') ? `+${text}` : value >= 0 && flags.includes(' ') ? ` ${text}` : text;
  switch (letter) {
    case 'v':
      return goString(arg);
    case 's':
      if (typeof arg === 'number' || typeof arg === 'boolean') return bad();
      return precision === undefined ? goString(arg) : [...goString(arg)].slice(0, precision).join('');
    case 'q':
      return typeof arg === 'string' ? JSON.stringify(arg) : bad();
    case 'T':
      return goTypeName(arg);
    case 't':
      return typeof arg === 'boolean' ? String(arg) : bad();
    case 'c':
      return typeof arg === 'number' ? String.fromCodePoint(arg) : bad();
    case 'd':
    case 'x':
    case 'X':
    case 'o':
    case 'b': {
      if (typeof arg === 'string' && (letter === 'x' || letter === 'X')) {
        const hex = Buffer.from(arg).toString('hex');
        return letter === 'X' ? hex.toUpperCase() : hex;
      }
      if (typeof arg !== 'number' || !Number.isInteger(arg)) return bad();
      const radix = { d: 10, x: 16, X: 16, o: 8, b: 2 }[letter];
      const digits = Math.abs(arg).toString(radix);
      const prefix = flags.includes('#') ? ({ x: '0x', X: '0X', o: '0', b: '0b' }[letter as 'x'] ?? '') : '';
      const text = (arg < 0 ? '-' : '') + prefix + (letter === 'X' ? digits.toUpperCase() : digits);
      return signed(text, arg);
    }
    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case 'g':
    case 'G': {
      if (typeof arg !== 'number') return bad();
      let text: string;
      if (letter === 'f' || letter === 'F') text = arg.toFixed(precision ?? 6);
      else if (letter === 'e' || letter === 'E')
        text = arg.toExponential(precision ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
      else text = precision === undefined ? goNumber(arg) : String(Number(arg.toPrecision(precision)));
      return signed(letter === letter.toUpperCase() ? text.toUpperCase() : text, arg);
    }
    default:
      return `%!${letter}(${goTypeName(arg)}=${goString(arg)})`;
  }
}
