// Draws a koker trace (`koker run --trace FILE`) as an SVG timeline: koker's spans stacked by
// nesting depth, koker-init's steps on rows of their own below, a millisecond axis on top.
//   node bench/start/trace-svg.mjs TRACE.json OUT.svg [--from NAME] [--title TEXT]
// --from starts the picture at the first span of that name (e.g. `launch`, to zoom in).
import { readFileSync, writeFileSync } from 'node:fs';

const [input, output, ...rest] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node bench/start/trace-svg.mjs TRACE.json OUT.svg [--from NAME] [--title TEXT]');
  process.exit(2);
}
const option = (name) => {
  const at = rest.indexOf(name);
  return at >= 0 ? rest[at + 1] : undefined;
};

const { traceEvents } = JSON.parse(readFileSync(input, 'utf8'));
const threads = new Map(
  traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => [e.tid, e.args.name]),
);
let spans = traceEvents.filter((e) => e.ph === 'X').sort((a, b) => a.ts - b.ts || b.dur - a.dur);
const from = option('--from');
const window = from ? spans.find((s) => s.name === from) : spans[0];
if (!window) throw new Error(`no span named ${from}`);
const t0 = window.ts;
const t1 = from ? window.ts + window.dur : Math.max(...spans.map((s) => s.ts + s.dur));
spans = spans.filter((s) => s.ts + s.dur >= t0 && s.ts <= t1);

// Rows: a span goes on the first row of its thread where it fits after the last one (nesting
// puts children below their parent).
const rows = [];
for (const span of spans) {
  const thread = threads.get(span.tid) ?? String(span.tid);
  let row = rows.find((r) => r.thread === thread && r.end <= span.ts + 0.5);
  if (!row) {
    row = { thread, end: 0, spans: [] };
    rows.push(row);
  }
  row.spans.push(span);
  row.end = span.ts + span.dur;
}
rows.sort((a, b) => (a.thread === b.thread ? 0 : a.thread === 'koker' ? -1 : b.thread === 'koker' ? 1 : 0));

const WIDTH = 1200;
const LEFT = 90;
const ROW = 22;
const TOP = 56;
const scale = (WIDTH - LEFT - 20) / (t1 - t0);
const x = (ts) => LEFT + (Math.max(ts, t0) - t0) * scale;
const colours = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#9c755f'];
const colour = (name) =>
  colours[[...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % colours.length];
const escape = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const ms = (us) => (us >= 10_000 ? `${(us / 1000).toFixed(0)}` : `${(us / 1000).toFixed(1)}`);

const height = TOP + rows.length * ROW + 20;
const out = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif" font-size="11">`,
  `<rect width="100%" height="100%" fill="white"/>`,
  `<text x="${LEFT}" y="16" font-size="13" font-weight="bold">${escape(option('--title') ?? window.name)}</text>`,
];
const total = (t1 - t0) / 1000;
const step = [1, 2, 5, 10, 20, 50, 100, 200, 500].find((s) => total / s <= 12) ?? 1000;
for (let t = 0; t <= total; t += step) {
  const at = LEFT + t * 1000 * scale;
  out.push(`<line x1="${at}" y1="30" x2="${at}" y2="${height - 10}" stroke="#ddd"/>`);
  out.push(`<text x="${at}" y="40" text-anchor="middle" fill="#666">${t} ms</text>`);
}
rows.forEach((row, index) => {
  const y = TOP + index * ROW;
  if (index === 0 || rows[index - 1].thread !== row.thread)
    out.push(`<text x="4" y="${y + 15}" fill="#333">${escape(row.thread)}</text>`);
  for (const span of row.spans) {
    const left = x(span.ts);
    const w = Math.max(1, x(Math.min(span.ts + span.dur, t1)) - left);
    const label = `${span.name} ${ms(span.dur)} ms`;
    out.push(
      `<rect x="${left.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${ROW - 4}" fill="${colour(span.name)}" rx="2"><title>${escape(label)}</title></rect>`,
    );
    // A label where it fits (about 6 px a character).
    const fits = Math.floor((w - 4) / 6);
    if (fits >= 4) {
      const text = label.length <= fits ? label : `${label.slice(0, fits - 1)}…`;
      out.push(`<text x="${(left + 3).toFixed(1)}" y="${y + 13}" fill="white">${escape(text)}</text>`);
    }
  }
});
out.push('</svg>');
writeFileSync(output, `${out.join('\n')}\n`);
