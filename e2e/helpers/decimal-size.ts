/** Docker's decimal sizes (`8.39MB`, `0B`, `1.2kB`), as `stats` prints them, in bytes. */
export function decimalBytes(text: string): number {
  const match = /^([\d.]+)\s*([kMGTP]?)B$/.exec(text.trim());
  if (!match) throw new Error(`not a size: ${text}`);
  const power = ['', 'k', 'M', 'G', 'T', 'P'].indexOf(match[2] ?? '');
  return Number(match[1]) * 1000 ** power;
}

/** `stats`'s BLOCK I/O column (`READ / WRITE`) in bytes. */
export function blockIoBytes(column: string): { read: number; write: number } {
  const [read = '', write = ''] = column.trim().split(' / ');
  return { read: decimalBytes(read), write: decimalBytes(write) };
}
