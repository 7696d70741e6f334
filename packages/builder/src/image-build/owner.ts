import { DockerfileError } from '../dockerfile/dockerfile-error.js';
import { type FileSource } from './backend.js';

function lookup(files: FileSource, file: string, name: string): string[] | undefined {
  let text: string;
  try {
    text = files.readFile(file).toString('utf8');
  } catch {
    return undefined;
  }
  return text
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === name);
}

/**
 * `--chown=USER[:GROUP]`: numbers as they are, names from the image's /etc/passwd and
 * /etc/group; a user alone gives the group of the same number, as Docker does.
 */
export function resolveOwner(chown: string, files: FileSource): { uid: number; gid: number } {
  const [user = '', group] = chown.split(':');
  const id = (value: string, file: string, what: string): number => {
    if (/^\d+$/.test(value)) return Number(value);
    const entry = lookup(files, file, value);
    const number = entry?.[2];
    if (number === undefined || !/^\d+$/.test(number))
      throw new DockerfileError(
        `unable to convert ${what} "${value}" of --chown=${chown}: no such ${what} in ${file}`,
      );
    return Number(number);
  };
  const uid = id(user, '/etc/passwd', 'user');
  const gid = group === undefined || group === '' ? uid : id(group, '/etc/group', 'group');
  return { uid, gid };
}
