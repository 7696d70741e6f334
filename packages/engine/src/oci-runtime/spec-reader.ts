import { InvalidValueError } from '@koker/core';

/** A config.json field koker cannot honour: named by its path, as `process.ioPriority`. */
export class UnsupportedFieldError extends InvalidValueError {
  constructor(path: string, reason: string) {
    super('config.json field', path, reason);
  }
}

type Json = Record<string, unknown>;

/**
 * Reads one JSON object of config.json: each getter checks a field's type and marks it read;
 * `done()` refuses any field left unread, so a field koker ignores is an error naming it.
 */
export class SpecReader {
  private readonly seen = new Set<string>();

  constructor(
    private readonly value: Json,
    readonly path: string,
  ) {}

  static of(value: unknown, path: string): SpecReader {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new InvalidValueError('config.json field', path, 'expected an object');
    return new SpecReader(value as Json, path);
  }

  at(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  has(key: string): boolean {
    return this.value[key] !== undefined && this.value[key] !== null;
  }

  raw(key: string): unknown {
    this.seen.add(key);
    return this.value[key] ?? undefined;
  }

  private typed<T>(key: string, check: (v: unknown) => boolean, what: string): T | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (!check(v)) throw new InvalidValueError('config.json field', this.at(key), `expected ${what}`);
    return v as T;
  }

  string(key: string): string | undefined {
    return this.typed<string>(key, (v) => typeof v === 'string', 'a string');
  }

  number(key: string): number | undefined {
    return this.typed<number>(key, (v) => typeof v === 'number' && Number.isFinite(v), 'a number');
  }

  integer(key: string): number | undefined {
    return this.typed<number>(key, (v) => Number.isInteger(v), 'an integer');
  }

  boolean(key: string): boolean | undefined {
    return this.typed<boolean>(key, (v) => typeof v === 'boolean', 'true or false');
  }

  strings(key: string): string[] | undefined {
    return this.typed<string[]>(
      key,
      (v) => Array.isArray(v) && v.every((s) => typeof s === 'string'),
      'a list of strings',
    );
  }

  integers(key: string): number[] | undefined {
    return this.typed<number[]>(
      key,
      (v) => Array.isArray(v) && v.every((n) => Number.isInteger(n)),
      'a list of integers',
    );
  }

  object(key: string): SpecReader | undefined {
    const v = this.raw(key);
    return v === undefined || v === null ? undefined : SpecReader.of(v, this.at(key));
  }

  objects(key: string): SpecReader[] {
    const v = this.raw(key);
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new InvalidValueError('config.json field', this.at(key), 'expected a list');
    return v.map((item, i) => SpecReader.of(item, `${this.at(key)}[${i}]`));
  }

  record(key: string): Record<string, string> {
    const v = this.typed<Record<string, string>>(
      key,
      (o) =>
        typeof o === 'object' &&
        !Array.isArray(o) &&
        Object.values(o as Json).every((s) => typeof s === 'string'),
      'an object of strings',
    );
    return { ...(v ?? {}) };
  }

  /** A field koker does not support: accepted only when absent or empty (`{}`, `[]`, `""`, 0). */
  unsupported(key: string, reason = 'koker-runtime does not support it'): void {
    const v = this.raw(key);
    if (isEmpty(v)) return;
    throw new UnsupportedFieldError(this.at(key), reason);
  }

  /** Every field read: anything else is one koker would silently ignore. */
  done(): void {
    for (const key of Object.keys(this.value)) {
      if (!this.seen.has(key) && !isEmpty(this.value[key]))
        throw new UnsupportedFieldError(this.at(key), 'koker-runtime does not know this field');
    }
  }
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.values(v as Json).every(isEmpty);
  return false;
}
