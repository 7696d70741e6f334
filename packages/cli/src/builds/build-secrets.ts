import { readFileSync } from 'node:fs';
import { InvalidValueError } from '@koker/core';
import { requireRegularFile } from '@koker/host';

/** BuildKit's bound on a secret's size. */
const SECRET_MAX_BYTES = 500 * 1024;

/**
 * `--secret id=ID[,src=FILE|,env=VAR][,type=file|env]` as buildx reads it: the content of a file
 * (`src`/`source`), or of an environment variable (`env`); `id` alone takes the variable named ID
 * when it is set, else the file named ID. Returns id -> content.
 */
export function parseSecrets(values: readonly string[]): Map<string, Buffer> {
  const secrets = new Map<string, Buffer>();
  for (const value of values) {
    const fields = new Map<string, string>();
    for (const field of value.split(',')) {
      const at = field.indexOf('=');
      if (at <= 0) throw new InvalidValueError('--secret', value, `"${field}" is not key=value`);
      fields.set(field.slice(0, at).toLowerCase(), field.slice(at + 1));
    }
    const id = fields.get('id');
    if (!id) throw new InvalidValueError('--secret', value, 'an id is required (id=NAME)');
    const type = fields.get('type');
    if (type !== undefined && type !== 'file' && type !== 'env')
      throw new InvalidValueError('--secret', value, 'type is file or env');
    const src = fields.get('src') ?? fields.get('source');
    const env = fields.get('env') ?? (type === 'env' ? (src ?? id) : undefined);
    for (const key of fields.keys()) {
      if (!['id', 'type', 'src', 'source', 'env'].includes(key))
        throw new InvalidValueError('--secret', value, `unknown key ${key}`);
    }
    let content: Buffer;
    if (env !== undefined || (src === undefined && process.env[id] !== undefined)) {
      const text = process.env[env ?? id];
      if (text === undefined)
        throw new InvalidValueError('--secret', value, `the environment variable ${env ?? id} is not set`);
      content = Buffer.from(text, 'utf8');
    } else {
      const path = src ?? id;
      const stat = requireRegularFile(path, 'secret file');
      if (stat.size > SECRET_MAX_BYTES)
        throw new InvalidValueError('--secret', value, `the file is larger than ${SECRET_MAX_BYTES} bytes`);
      content = readFileSync(path);
    }
    secrets.set(id, content);
  }
  return secrets;
}
