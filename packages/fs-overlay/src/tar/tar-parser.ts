import { BLOCK, isZeroBlock, parseHeader, type RawHeader } from './tar-header.js';
import { parsePaxInteger, parsePaxRecords, parsePaxTime, paxXattrs } from './pax-records.js';
import {
  TarFormatError,
  displayName,
  type EntryHandler,
  type EntrySink,
  type TarEntry,
  type TarEntryType,
} from './tar-entry.js';

/** PAX headers and GNU long names are held in memory: bound them (a name is at most PATH_MAX). */
const MAX_META_BYTES = 1024 * 1024;

const ENTRY_TYPES: Readonly<Record<string, TarEntryType>> = {
  '0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'directory',
  '6': 'fifo',
};

type State = 'header' | 'data' | 'meta' | 'skip' | 'end';

/**
 * A push parser for tar streams (POSIX ustar/PAX, GNU, v7): feed it chunks as they arrive, it
 * calls the handler per entry and streams file data to the entry's sink without copying. It
 * never buffers more than one header block or one bounded extension header.
 */
export class TarParser {
  private state: State = 'header';
  private readonly header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  /** Bytes of the current entry's body still to come (data, meta or skipped). */
  private remaining = 0;
  /** Padding after the current body, up to the next block. */
  private padding = 0;
  private sink: EntrySink | undefined;
  private meta: Buffer[] = [];
  private metaType = '';
  private metaName = '';
  private pax: Map<string, string> | undefined;
  private longName: string | undefined;
  private longLink: string | undefined;

  constructor(private readonly handler: EntryHandler) {}

  get ended(): boolean {
    return this.state === 'end';
  }

  write(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      switch (this.state) {
        case 'end':
          return;
        case 'header': {
          const take = Math.min(BLOCK - this.headerFill, chunk.length - offset);
          if (this.headerFill === 0 && take === BLOCK) {
            this.onHeader(chunk.subarray(offset, offset + BLOCK));
          } else {
            chunk.copy(this.header, this.headerFill, offset, offset + take);
            this.headerFill += take;
            if (this.headerFill === BLOCK) {
              this.headerFill = 0;
              this.onHeader(this.header);
            }
          }
          offset += take;
          break;
        }
        case 'data':
        case 'meta':
        case 'skip': {
          if (this.remaining > 0) {
            const take = Math.min(this.remaining, chunk.length - offset);
            const part = chunk.subarray(offset, offset + take);
            if (this.state === 'data') this.sink?.write(part);
            else if (this.state === 'meta') this.meta.push(part);
            this.remaining -= take;
            offset += take;
            if (this.remaining > 0) break;
            this.onBodyEnd();
          }
          const skip = Math.min(this.padding, chunk.length - offset);
          this.padding -= skip;
          offset += skip;
          if (this.padding === 0 && this.remaining === 0) this.state = 'header';
          break;
        }
      }
    }
  }

  /** The stream ended: fails if it ended inside an entry. */
  end(): void {
    if (this.state === 'end') return;
    if (this.state !== 'header' || this.headerFill !== 0 || this.pendingExtension()) {
      throw new TarFormatError('truncated tar stream', this.metaName || undefined);
    }
    this.state = 'end';
  }

  private pendingExtension(): boolean {
    return this.pax !== undefined || this.longName !== undefined || this.longLink !== undefined;
  }

  private onHeader(block: Buffer): void {
    if (isZeroBlock(block)) {
      // The end-of-archive marker; whatever follows is padding (still hashed by the caller).
      this.state = 'end';
      return;
    }
    const raw = parseHeader(block);
    const flag = raw.typeflag;
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      if (raw.size > MAX_META_BYTES) {
        throw new TarFormatError(`extension header of ${raw.size} bytes is over the limit`, raw.name);
      }
      this.metaType = flag;
      this.metaName = raw.name;
      this.meta = [];
      this.startBody('meta', raw.size);
      return;
    }
    const entry = this.toEntry(raw);
    this.pax = undefined;
    this.longName = undefined;
    this.longLink = undefined;
    const sink = this.handler.entry(entry);
    if (entry.type === 'file') {
      this.sink = sink;
      this.startBody('data', entry.size);
    } else {
      this.sink = undefined;
      this.startBody('skip', entry.size);
    }
  }

  private startBody(state: 'data' | 'meta' | 'skip', size: number): void {
    this.state = state;
    this.remaining = size;
    this.padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (size === 0) this.onBodyEnd();
    if (size === 0 && this.padding === 0) this.state = 'header';
  }

  private onBodyEnd(): void {
    if (this.state === 'data') {
      const sink = this.sink;
      this.sink = undefined;
      sink?.end();
    } else if (this.state === 'meta') {
      const body = Buffer.concat(this.meta);
      this.meta = [];
      if (this.metaType === 'x') {
        this.pax = parsePaxRecords(body);
        this.refuseSparse(this.pax);
      } else if (this.metaType === 'L') {
        this.longName = nulTerminated(body);
      } else if (this.metaType === 'K') {
        this.longLink = nulTerminated(body);
      }
      // 'g' (global PAX) records are ignored, as Docker and Go's archive/tar do.
    }
  }

  private refuseSparse(pax: ReadonlyMap<string, string>): void {
    for (const key of pax.keys()) {
      if (key.startsWith('GNU.sparse.')) {
        throw new TarFormatError('sparse files are not supported in layers', pax.get('path'));
      }
    }
  }

  private toEntry(raw: RawHeader): TarEntry {
    const pax = this.pax;
    const name = pax?.get('path') ?? this.longName ?? raw.name;
    let type = ENTRY_TYPES[raw.typeflag];
    if (raw.typeflag === '0' && name.endsWith('/')) type = 'directory'; // v7 directories
    if (raw.typeflag === 'D') type = 'directory'; // GNU dump dir: its listing is skipped
    if (raw.typeflag === 'S') {
      throw new TarFormatError('sparse files are not supported in layers', displayName(name));
    }
    if (type === undefined) {
      throw new TarFormatError(`unsupported tar entry type "${raw.typeflag}"`, displayName(name));
    }
    const value = (key: string, fallback: number) => {
      const text = pax?.get(key);
      return text === undefined ? fallback : parsePaxInteger(text, key);
    };
    const mtimeText = pax?.get('mtime');
    const atimeText = pax?.get('atime');
    return {
      type,
      name,
      linkname: pax?.get('linkpath') ?? this.longLink ?? raw.linkname,
      mode: raw.mode,
      uid: value('uid', raw.uid),
      gid: value('gid', raw.gid),
      size: value('size', raw.size),
      mtime: mtimeText === undefined ? { sec: raw.mtime, nsec: 0 } : parsePaxTime(mtimeText),
      atime: atimeText === undefined ? undefined : parsePaxTime(atimeText),
      devmajor: value('SCHILY.devmajor', raw.devmajor),
      devminor: value('SCHILY.devminor', raw.devminor),
      xattrs: pax ? paxXattrs(pax) : EMPTY_XATTRS,
    };
  }
}

const EMPTY_XATTRS: ReadonlyMap<string, Buffer> = new Map();

function nulTerminated(body: Buffer): string {
  const end = body.indexOf(0);
  return body.toString('latin1', 0, end < 0 ? body.length : end);
}
