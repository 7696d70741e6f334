import { type Writable } from 'node:stream';
import { type LayerInfo, type LayerState, type ProgressSink } from '@koker/image-store';
import { type PushLayerState } from '@koker/registry-oci';
import { pushStatus, type PushDisplay } from '../output/push-progress.js';

const STATUS: Record<LayerState['phase'], string> = {
  exists: 'Already exists',
  waiting: 'Waiting',
  downloading: 'Downloading',
  downloaded: 'Download complete',
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

/** A push's layers as dockerd streams them: `Preparing`, `Pushing` with bytes, `Pushed`... */
export class JsonPushProgress implements PushDisplay {
  private readonly shown = new Map<string, string>();

  constructor(private readonly progress: JsonProgress) {}

  start(layerIds: readonly string[]): void {
    for (const id of layerIds) this.update(id, { phase: 'preparing' });
  }

  update(id: string, state: PushLayerState): void {
    const status = pushStatus(state, false);
    if (state.phase === 'pushing') {
      this.progress.write({ status, progressDetail: { current: state.current, total: state.total }, id });
      return;
    }
    if (this.shown.get(id) === status) return;
    this.shown.set(id, status);
    this.progress.write({ status, progressDetail: {}, id });
  }

  end(): void {}
}
