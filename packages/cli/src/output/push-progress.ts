import { formatDecimalSize } from '@koker/core';
import { type PushLayerState } from '@koker/registry-oci';

const BAR_WIDTH = 50;
const REDRAW_MS = 100;

/** Docker's words for a layer's state during a push. */
export function pushStatus(state: PushLayerState | undefined, withBar: boolean): string {
  switch (state?.phase) {
    case undefined:
    case 'preparing':
      return 'Preparing';
    case 'waiting':
      return 'Waiting';
    case 'pushing': {
      if (!withBar) return 'Pushing';
      const fraction = state.total > 0 ? Math.min(1, state.current / state.total) : 0;
      const filled = Math.floor(fraction * BAR_WIDTH);
      const head = filled < BAR_WIDTH ? '>' : '';
      const bar = `[${'='.repeat(filled)}${head}${' '.repeat(Math.max(0, BAR_WIDTH - filled - head.length))}]`;
      return `Pushing ${bar} ${formatDecimalSize(state.current)}/${formatDecimalSize(state.total)}`;
    }
    case 'done':
      switch (state.outcome.kind) {
        case 'exists':
          return 'Layer already exists';
        case 'mounted':
          return `Mounted from ${state.outcome.from}`;
        case 'pushed':
          return 'Pushed';
      }
  }
}

/** Receives each layer's state during a push and shows it (or not). */
export interface PushDisplay {
  start(layerIds: readonly string[]): void;
  update(id: string, state: PushLayerState): void;
  end(): void;
}

export const silentPushDisplay: PushDisplay = {
  start: () => undefined,
  update: () => undefined,
  end: () => undefined,
};

/** Not a terminal: a line each time a layer's status changes (bytes counts left out), as Docker. */
export class PushLines implements PushDisplay {
  private readonly shown = new Map<string, string>();

  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}

  start(layerIds: readonly string[]): void {
    for (const id of layerIds) this.update(id, { phase: 'preparing' });
  }

  update(id: string, state: PushLayerState): void {
    if (state.phase === 'pushing') return;
    const status = pushStatus(state, false);
    if (this.shown.get(id) === status) return;
    this.shown.set(id, status);
    this.out.write(`${id}: ${status}\n`);
  }

  end(): void {}
}

/** A terminal: one line per layer (topmost first, as Docker lists them), redrawn in place. */
export class PushTerminal implements PushDisplay {
  private ids: string[] = [];
  private readonly states = new Map<string, PushLayerState>();
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {}

  start(layerIds: readonly string[]): void {
    this.ids = [...new Set(layerIds)];
    this.draw();
    this.timer = setInterval(() => {
      if (this.dirty) this.draw();
    }, REDRAW_MS);
    this.timer.unref();
  }

  update(id: string, state: PushLayerState): void {
    this.states.set(id, state);
    this.dirty = true;
    if (state.phase !== 'pushing') this.draw();
  }

  end(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.draw();
  }

  private draw(): void {
    this.dirty = false;
    const width = this.out.columns || 120;
    let text = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    for (const id of this.ids) {
      text += `\x1b[2K${`${id}: ${pushStatus(this.states.get(id), true)}`.slice(0, width - 1)}\n`;
    }
    this.out.write(text);
    this.drawn = this.ids.length;
  }
}
