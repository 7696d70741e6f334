import { randomInt } from 'node:crypto';
import { InvalidValueError } from '../errors/index.js';
import { type Brand } from './brand.js';

/** A container name as Docker allows it: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`. */
export type ContainerName = Brand<string, 'ContainerName'>;

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const MAX_LENGTH = 128;

export function parseContainerName(input: string): ContainerName {
  const text = input.startsWith('/') ? input.slice(1) : input;
  if (text.length > MAX_LENGTH)
    throw new InvalidValueError('container name', input, `longer than ${MAX_LENGTH} characters`);
  if (!NAME.test(text)) {
    throw new InvalidValueError(
      'container name',
      input,
      'use at least 2 characters from [a-zA-Z0-9_.-], starting with a letter or digit',
    );
  }
  return text as ContainerName;
}

// Words for generated names: koker's own lists (metals and minerals, rivers of the world).
const FIRST = [
  'agate',
  'amber',
  'basalt',
  'beryl',
  'bronze',
  'cobalt',
  'copper',
  'coral',
  'flint',
  'garnet',
  'granite',
  'indigo',
  'iron',
  'jade',
  'jasper',
  'marble',
  'nickel',
  'obsidian',
  'onyx',
  'opal',
  'pearl',
  'pewter',
  'quartz',
  'ruby',
  'rust',
  'sapphire',
  'slate',
  'silver',
  'topaz',
  'zinc',
];
const SECOND = [
  'amazon',
  'amur',
  'danube',
  'dnieper',
  'ebro',
  'elbe',
  'euphrates',
  'ganges',
  'indus',
  'irtysh',
  'jordan',
  'kolyma',
  'lena',
  'loire',
  'mekong',
  'murray',
  'niger',
  'nile',
  'oder',
  'orinoco',
  'parana',
  'po',
  'rhine',
  'rhone',
  'seine',
  'tagus',
  'thames',
  'tigris',
  'volga',
  'yukon',
  'zambezi',
];

/** A readable random name such as `cobalt_mekong`; the caller retries on a clash. */
export function generateContainerName(attempt = 0): ContainerName {
  const base = `${FIRST[randomInt(FIRST.length)]}_${SECOND[randomInt(SECOND.length)]}`;
  return (attempt > 0 ? `${base}${randomInt(10)}` : base) as ContainerName;
}
