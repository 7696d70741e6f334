import {
  type Digest,
  type ImageRunConfig,
  ImageFormatError,
  parseJsonObject,
  type JsonObject,
} from '@koker/core';

/** One entry of an image config's `history` (the OCI image spec's fields). */
export interface HistoryEntry {
  readonly created?: string;
  readonly created_by?: string;
  readonly author?: string;
  readonly comment?: string;
  /** The step made no layer (ENV, CMD, LABEL...): no diff ID goes with it. */
  readonly empty_layer?: boolean;
}

/** What a new image changes in the config it derives from. */
export interface ConfigDerivation {
  /** The run config of the new image: replaces the parent's `config` object's fields it names. */
  readonly config: ImageRunConfig & Readonly<Record<string, unknown>>;
  /** The new layer's diff ID; absent for a step that makes none. */
  readonly diffId?: Digest;
  readonly history: HistoryEntry;
  /** ISO 8601; also the history entry's time when it has none. */
  readonly created: string;
  readonly author?: string;
  /** A config with no parent (`FROM scratch`): its platform. */
  readonly platform?: { readonly architecture: string; readonly os: string; readonly variant?: string };
}

/**
 * A new image config from its parent's config blob (undefined: from scratch): the parent's
 * fields are kept as they are (unknown ones included), `config` replaced, `created`, `author`
 * set, the diff ID appended to `rootfs.diff_ids` and the history entry to `history`. The
 * parent's history is padded first when it lists fewer layers than it has (as Docker does
 * for images without history), so each layer keeps a history entry of its own. Docker's
 * `container`/`container_config` are not carried over: they describe the parent's build.
 */
export function deriveImageConfig(parentBytes: Uint8Array | undefined, change: ConfigDerivation): Buffer {
  const parent: JsonObject = parentBytes ? parseJsonObject(parentBytes, 'the parent image config') : {};
  const rootfs = (parent.rootfs ?? { type: 'layers', diff_ids: [] }) as {
    type?: unknown;
    diff_ids?: unknown;
  };
  if (!Array.isArray(rootfs.diff_ids))
    throw new ImageFormatError('the parent image config has no rootfs.diff_ids');
  const diffIds = [...(rootfs.diff_ids as string[])];
  const history = Array.isArray(parent.history) ? [...(parent.history as HistoryEntry[])] : [];
  const layered = history.filter((h) => !h.empty_layer).length;
  for (let i = layered; i < diffIds.length; i++) history.push({});
  if (change.diffId) diffIds.push(change.diffId);
  history.push({
    created: change.created,
    ...(change.author ? { author: change.author } : {}),
    ...change.history,
    ...(change.diffId ? {} : { empty_layer: true }),
  });
  const { container: _container, container_config: _containerConfig, ...kept } = parent;
  const config: JsonObject = {
    ...kept,
    ...(parentBytes
      ? {}
      : { architecture: change.platform?.architecture ?? 'amd64', os: change.platform?.os ?? 'linux' }),
    ...(!parentBytes && change.platform?.variant ? { variant: change.platform.variant } : {}),
    created: change.created,
    config: withoutUndefined({ ...((parent.config as JsonObject | undefined) ?? {}), ...change.config }),
    rootfs: { type: 'layers', diff_ids: diffIds },
    history,
  };
  if (change.author) config.author = change.author;
  return Buffer.from(JSON.stringify(config));
}

function withoutUndefined(object: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}
