import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { ImageFormatError } from '@koker/core';

/** One member of a tar file: where its bytes are, without reading them. */
export interface TarMember {
  readonly name: string;
  readonly type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';
  readonly offset: number;
  readonly size: number;
  readonly linkname?: string;
}

const BLOCK = 512;

function text(block: Buffer, start: number, length: number): string {
  const end = block.indexOf(0, start);
  return block.toString('utf8', start, end < 0 || end > start + length ? start + length : end);
}

function octal(block: Buffer, start: number, length: number): number {
  // Large sizes use GNU base-256: the high bit of the first byte set.
  if ((block[start] ?? 0) & 0x80) {
    let value = 0;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + (block[i] ?? 0);
    return value;
  }
  const digits = text(block, start, length).trim();
  return digits ? parseInt(digits, 8) : 0;
}

function pax(data: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  let position = 0;
  while (position < data.length) {
    const space = data.indexOf(0x20, position);
    if (space < 0) break;
    const length = parseInt(data.toString('utf8', position, space), 10);
    if (!length) break;
    const record = data.toString('utf8', space + 1, position + length - 1);
    const equals = record.indexOf('=');
    if (equals > 0) records[record.slice(0, equals)] = record.slice(equals + 1);
    position += length;
  }
  return records;
}

/**
 * The members of an image archive (docker save, OCI layout), read from headers only; member
 * names are normalized (no `./`) and refused if they climb out (`..`) or are absolute, so that a
 * lookup by name can never reach outside the archive's own namespace.
 */
export class TarIndex {
  private constructor(
    readonly path: string,
    private readonly members: Map<string, TarMember>,
  ) {}

  static async read(path: string): Promise<TarIndex> {
    const handle = await open(path, 'r');
    const members = new Map<string, TarMember>();
    try {
      const { size: fileSize } = await handle.stat();
      const header = Buffer.alloc(BLOCK);
      let position = 0;
      let longName: string | undefined;
      let longLink: string | undefined;
      let extended: Record<string, string> = {};
      for (;;) {
        if (position + BLOCK > fileSize) break;
        await handle.read(header, 0, BLOCK, position);
        if (header.every((b) => b === 0)) break;
        const checksum = octal(header, 148, 8);
        let sum = 0;
        for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] as number);
        if (sum !== checksum)
          throw new ImageFormatError(`${path} is not a tar archive (bad header at byte ${position})`);
        const typeflag = String.fromCharCode(header[156] as number);
        let size = octal(header, 124, 12);
        const dataOffset = position + BLOCK;
        const readData = async () => {
          const data = Buffer.alloc(size);
          await handle.read(data, 0, size, dataOffset);
          return data;
        };
        if (typeflag === 'L' || typeflag === 'K' || typeflag === 'x' || typeflag === 'g') {
          const data = await readData();
          if (typeflag === 'L') longName = data.toString('utf8').replace(/\0.*$/s, '');
          else if (typeflag === 'K') longLink = data.toString('utf8').replace(/\0.*$/s, '');
          else if (typeflag === 'x') extended = pax(data);
          position = dataOffset + Math.ceil(size / BLOCK) * BLOCK;
          continue;
        }
        const prefix = header.toString('utf8', 257, 263).startsWith('ustar') ? text(header, 345, 155) : '';
        let name =
          extended.path ?? longName ?? (prefix ? `${prefix}/${text(header, 0, 100)}` : text(header, 0, 100));
        const linkname = extended.linkpath ?? longLink ?? text(header, 157, 100);
        if (extended.size) size = Number(extended.size);
        longName = longLink = undefined;
        extended = {};
        name = normalizeMemberName(name, path);
        const type =
          typeflag === '0' || typeflag === '\0' || typeflag === '7'
            ? 'file'
            : typeflag === '5'
              ? 'directory'
              : typeflag === '2'
                ? 'symlink'
                : typeflag === '1'
                  ? 'hardlink'
                  : 'other';
        if (name)
          members.set(name, { name, type, offset: dataOffset, size, ...(linkname ? { linkname } : {}) });
        position = dataOffset + Math.ceil(size / BLOCK) * BLOCK;
      }
    } finally {
      await handle.close();
    }
    return new TarIndex(path, members);
  }

  /** A regular file member by name, following symlinks and hardlinks inside the archive. */
  file(name: string): TarMember | undefined {
    let current = this.members.get(normalizeMemberName(name, this.path));
    for (let hops = 0; current && hops < 16; hops++) {
      if (current.type === 'file') return current;
      if (!current.linkname) return undefined;
      const target =
        current.type === 'symlink'
          ? posix.join(posix.dirname(current.name), current.linkname)
          : current.linkname;
      if (target.startsWith('/') || posix.normalize(target).startsWith('..')) return undefined;
      current = this.members.get(normalizeMemberName(target, this.path));
    }
    return undefined;
  }

  has(name: string): boolean {
    return this.file(name) !== undefined;
  }

  names(): string[] {
    return [...this.members.keys()];
  }

  stream(member: TarMember): Readable {
    if (member.size === 0) return Readable.from([]);
    return createReadStream(this.path, {
      start: member.offset,
      end: member.offset + member.size - 1,
      // Each read is a new buffer, alive until a collection: small ones keep `load` within the
      // CLI's memory (the consumers report them to spentBuffers).
      highWaterMark: 256 * 1024,
    });
  }

  /** The first `length` bytes of a member (fewer if it is shorter). */
  async head(member: TarMember, length: number): Promise<Buffer> {
    const handle = await open(this.path, 'r');
    try {
      const bytes = Buffer.alloc(Math.min(length, member.size));
      const { bytesRead } = await handle.read(bytes, 0, bytes.length, member.offset);
      return bytes.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  async read(member: TarMember, limit = 16 * 1024 * 1024): Promise<Buffer> {
    if (member.size > limit) {
      throw new ImageFormatError(
        `${member.name} in ${this.path} is ${member.size} bytes, more than ${limit} expected`,
      );
    }
    const chunks: Buffer[] = [];
    for await (const chunk of this.stream(member)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
}

export function normalizeMemberName(name: string, archive: string): string {
  const normalized = posix.normalize(name.replace(/^(\.\/)+/, '')).replace(/\/+$/, '');
  if (normalized === '.' || normalized === '') return '';
  if (normalized.startsWith('/') || normalized === '..' || normalized.startsWith('../')) {
    throw new ImageFormatError(`${archive} has a member outside the archive: ${JSON.stringify(name)}`);
  }
  return normalized;
}
