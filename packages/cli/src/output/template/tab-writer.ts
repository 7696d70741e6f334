/**
 * Go's text/tabwriter as Docker's tables use it (minwidth 10, padding 3, spaces): cells end at a
 * tab; a column is as wide as its widest cell plus the padding (at least the minimum) over each
 * run of consecutive lines that have it; the text after a line's last tab is not a cell.
 */
export function alignTabs(text: string, options: { minWidth?: number; padding?: number } = {}): string {
  const minWidth = options.minWidth ?? 10;
  const padding = options.padding ?? 3;
  const trailingNewline = text.endsWith('\n');
  const lines = (trailingNewline ? text.slice(0, -1) : text).split('\n').map((line) => line.split('\t'));
  const widthOf = (cell: string) => [...cell].length;
  // widths[line][column] for the terminated cells (all but the last of a line).
  const widths: number[][] = lines.map(() => []);
  const maxColumns = Math.max(0, ...lines.map((cells) => cells.length - 1));
  for (let column = 0; column < maxColumns; column++) {
    let start = 0;
    while (start < lines.length) {
      if ((lines[start]?.length ?? 0) - 1 <= column) {
        start++;
        continue;
      }
      let end = start;
      while (end < lines.length && (lines[end]?.length ?? 0) - 1 > column) end++;
      let width = 0;
      for (let i = start; i < end; i++) width = Math.max(width, widthOf(lines[i]?.[column] ?? '') + padding);
      width = Math.max(width, minWidth);
      for (let i = start; i < end; i++) (widths[i] as number[])[column] = width;
      start = end;
    }
  }
  const out = lines.map((cells, i) =>
    cells
      .map((cell, column) =>
        column < cells.length - 1
          ? cell + ' '.repeat(((widths[i] as number[])[column] ?? 0) - widthOf(cell))
          : cell,
      )
      .join(''),
  );
  return out.join('\n') + (trailingNewline ? '\n' : '');
}
