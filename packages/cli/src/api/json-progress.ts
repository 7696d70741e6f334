import { type Writable } from 'node:stream';
import { type LayerInfo, type LayerState, type ProgressSink } from '@koker/image-store';

const STATUS: Record<LayerState['phase'], string> = {
  exists: 'Already exists',
  waiting: 'Waiting',
  downloading: 'Downloading',
  extracting: 'Extracting',
  done: 'Pull complete',
};

/** A pull's progress as dockerd streams it: one JSON message a line (`status`, `id`, `progressDetail`). */
export class JsonProgress implements ProgressSink {
  constructor(private readonly out: Writable) {}

  write(message: Record<string, unknown>): void {
    if (!this.out.writableEnded) this.out.write(`${JSON.stringify(message)}\n`);
  }

  start(title: string, layers: readonly LayerInfo[]): void {
    this.write({ status: title });
    for (const layer of layers) this.write({ status: 'Pulling fs layer', progressDetail: {}, id: layer.id });
  }

  update(id: string, state: LayerState): void {
    const detail =
      state.phase === 'downloading'
        ? { current: state.current, total: state.total }
        : state.phase === 'extracting'
          ? { current: state.current }
          : {};
    this.write({ status: STATUS[state.phase], progressDetail: detail, id });
  }

  end(): void {
    // The summary lines are the route's to write.
  }
}
