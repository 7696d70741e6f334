import { formatDecimalSize, type Logger } from '@koker/core';
import { type LayerInfo, type LayerState, type ProgressSink } from '@koker/image-store';

const BAR_WIDTH = 30;

/** Whether the layers come from a registry (`pull`, `run`) or from an archive (`load`). */
export type TransferKind = 'pull' | 'load';

const WORDS = {
  pull: { moving: 'Downloading', moved: 'Download complete', done: 'Pull complete', log: 'Download layer' },
  load: { moving: 'Loading', moved: 'Loaded', done: 'Load complete', log: 'Load layer' },
} as const satisfies Record<TransferKind, { moving: string; moved: string; done: string; log: string }>;
const REDRAW_MS = 100;

function bar(current: number, total: number): string {
  const fraction = total > 0 ? Math.min(1, current / total) : 0;
  const filled = Math.floor(fraction * BAR_WIDTH);
  const head = filled < BAR_WIDTH ? '>' : '';
  return `[${'='.repeat(filled)}${head}${' '.repeat(Math.max(0, BAR_WIDTH - filled - head.length))}]`;
}

function describe(state: LayerState | undefined, size: number, kind: TransferKind): string {
  switch (state?.phase) {
    case undefined:
    case 'waiting':
      return 'Waiting';
    case 'exists':
      return 'Already exists';
    case 'downloading':
      return `${WORDS[kind].moving} ${bar(state.current, state.total)} ${formatDecimalSize(state.current)}/${formatDecimalSize(state.total || size)}`;
    case 'downloaded':
      return WORDS[kind].moved;
    case 'extracting':
      return `Verified, extracting ${formatDecimalSize(state.current)}`;
    case 'done':
      return WORDS[kind].done;
  }
}

/**
 * Docker-style progress on a terminal: one line per layer (download bar, extraction, done) and a
 * total line, redrawn in place on stderr at most ten times a second.
 */
export class TerminalProgress implements ProgressSink {
  private layers: LayerInfo[] = [];
  private readonly states = new Map<string, LayerState>();
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly kind: TransferKind = 'pull',
  ) {}

  start(title: string, layers: readonly LayerInfo[]): void {
    this.layers = [...layers];
    this.out.write(`${title}\n`);
    this.draw();
    this.timer = setInterval(() => {
      if (this.dirty) this.draw();
    }, REDRAW_MS);
    this.timer.unref();
  }

  update(id: string, state: LayerState): void {
    this.states.set(id, state);
    this.dirty = true;
    // Phase changes show at once; byte counts wait for the next tick.
    if (state.phase !== 'downloading' && state.phase !== 'extracting') this.draw();
  }

  end(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.draw();
  }

  private draw(): void {
    this.dirty = false;
    const lines = this.layers.map((l) => `${l.id}: ${describe(this.states.get(l.id), l.size, this.kind)}`);
    let current = 0;
    let total = 0;
    for (const layer of this.layers) {
      const state = this.states.get(layer.id);
      total += layer.size;
      if (state?.phase === 'downloading') current += state.current;
      else if (state && state.phase !== 'waiting') current += layer.size;
    }
    lines.push(`Total: ${bar(current, total)} ${formatDecimalSize(current)}/${formatDecimalSize(total)}`);
    const width = this.out.columns || 120;
    let text = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    for (const line of lines) text += `\x1b[2K${line.slice(0, width - 1)}\n`;
    this.out.write(text);
    this.drawn = lines.length;
  }
}

/** Progress as log lines (not a terminal): one line per layer when its phase changes. */
export class LogProgress implements ProgressSink {
  private readonly phases = new Map<string, string>();
  private readonly sizes = new Map<string, number>();

  constructor(
    private readonly log: Logger,
    private readonly kind: TransferKind = 'pull',
  ) {}

  start(_title: string, layers: readonly LayerInfo[]): void {
    for (const layer of layers) this.sizes.set(layer.id, layer.size);
  }

  update(id: string, state: LayerState): void {
    if (this.phases.get(id) === state.phase) return;
    this.phases.set(id, state.phase);
    const size = formatDecimalSize(this.sizes.get(id) ?? 0);
    if (state.phase === 'exists') this.log.info({ layer: id }, 'Layer already exists');
    else if (state.phase === 'downloading') this.log.info({ layer: id, size }, WORDS[this.kind].log);
    else if (state.phase === 'downloaded')
      this.log.debug({ layer: id }, 'Layer waits for its turn to extract');
    else if (state.phase === 'extracting') this.log.debug({ layer: id }, 'Finish extracting layer');
    else if (state.phase === 'done') this.log.info({ layer: id }, 'Layer stored');
  }

  end(): void {}
}
