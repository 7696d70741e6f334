/** zerolog's console style, as the Go koker prints: `11:08AM DBG Mount target source=proc target=proc`. */

const LEVEL_LABEL: Record<number, string> = {
  10: 'TRC',
  20: 'DBG',
  30: 'INF',
  40: 'WRN',
  50: 'ERR',
  60: 'FTL',
};
const LEVEL_COLOR: Record<number, string> = {
  10: '35',
  20: '33',
  30: '32',
  40: '31',
  50: '1;31',
  60: '1;31',
};
const OMIT = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'v', 'durationMs']);

/** A step's duration, last on its line: `(0.42ms)`, `(12.3ms)`. */
function duration(ms: number): string {
  return `(${ms < 1 ? ms.toFixed(2) : ms.toFixed(1)}ms)`;
}

function kitchenTime(epochMs: number): string {
  const date = new Date(epochMs);
  const hours = date.getHours();
  const minutes = String(date.getMinutes()).padStart(2, '0');
  return `${hours % 12 === 0 ? 12 : hours % 12}:${minutes}${hours < 12 ? 'AM' : 'PM'}`;
}

function formatValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return JSON.stringify(value);
  const text = String(value);
  return text === '' || /[\s"=\\]/.test(text) ? JSON.stringify(text) : text;
}

/** Turns one pino JSON record into a console line (with a trailing newline). */
export function formatConsoleLine(record: Record<string, unknown>, color: boolean): string {
  const level = Number(record.level);
  const paint = (code: string, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const parts = [
    paint('90', kitchenTime(Number(record.time ?? Date.now()))),
    paint(LEVEL_COLOR[level] ?? '0', LEVEL_LABEL[level] ?? '???'),
    String(record.msg ?? ''),
  ];
  const fields: Record<string, unknown> = { ...record };
  const err = fields.err as { message?: string } | undefined;
  if (err && typeof err === 'object') {
    fields.error = err.message;
    delete fields.err;
  }
  // zerolog prints fields sorted by key; keeping that makes our logs read like the Go koker's.
  for (const key of Object.keys(fields).sort()) {
    if (OMIT.has(key)) continue;
    parts.push(`${paint('36', `${key}=`)}${formatValue(fields[key])}`);
  }
  if (typeof record.durationMs === 'number') parts.push(paint('90', duration(record.durationMs)));
  return `${parts.join(' ')}\n`;
}
