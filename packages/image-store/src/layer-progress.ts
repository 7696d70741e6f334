/** What happens to one layer during a pull or load, for progress displays. */
export type LayerState =
  | { readonly phase: 'exists' }
  | { readonly phase: 'waiting' }
  | { readonly phase: 'downloading'; readonly current: number; readonly total: number }
  /** Downloaded and verified into its blob file; extracted when another layer's extraction ends. */
  | { readonly phase: 'downloaded' }
  | { readonly phase: 'extracting'; readonly current: number }
  | { readonly phase: 'done' };

export interface LayerInfo {
  /** The short (12 hex digits) digest of the layer blob, as Docker shows it. */
  readonly id: string;
  /** Compressed size, from the manifest. */
  readonly size: number;
}

/** Receives the progress of a pull or load: a terminal display, log lines, or nothing. */
export interface ProgressSink {
  start(title: string, layers: readonly LayerInfo[]): void;
  update(id: string, state: LayerState): void;
  /** Called once, after success or failure: a display restores the terminal. */
  end(): void;
}

export const silentProgress: ProgressSink = {
  start: () => undefined,
  update: () => undefined,
  end: () => undefined,
};
