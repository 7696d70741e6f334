import { type ImageHealthcheck, type ImageRunConfig } from '../contracts/image-store.js';
import { parseDigest, type Digest } from '../domain/digest.js';
import { ImageFormatError } from './image-format-error.js';
import { parseJsonObject } from './manifest.js';

/** The parts of an image config blob koker reads (the whole blob is kept as it came). */
export interface ImageConfigFacts {
  readonly architecture: string;
  readonly os: string;
  readonly variant?: string;
  readonly created?: string;
  readonly config: ImageRunConfig;
  /** Uncompressed layer digests, base first. */
  readonly diffIds: readonly Digest[];
}

const strings = (value: unknown): readonly string[] | undefined =>
  Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;

function healthcheck(raw: Record<string, unknown>): ImageHealthcheck {
  const duration = (key: string) =>
    typeof raw[key] === 'number' && Number.isSafeInteger(raw[key]) && (raw[key] as number) >= 0
      ? { [key]: raw[key] as number }
      : {};
  return {
    ...(strings(raw.Test) ? { Test: strings(raw.Test) } : {}),
    ...duration('Interval'),
    ...duration('Timeout'),
    ...duration('StartPeriod'),
    ...duration('StartInterval'),
    ...duration('Retries'),
  };
}

/** Parses an image config blob; what it cannot use (a bad diff_id, no rootfs) is refused. */
export function parseImageConfig(bytes: Uint8Array, what: string): ImageConfigFacts {
  const json = parseJsonObject(bytes, what);
  const rootfs = json.rootfs as { type?: unknown; diff_ids?: unknown } | undefined;
  if (!rootfs || rootfs.type !== 'layers' || !Array.isArray(rootfs.diff_ids)) {
    throw new ImageFormatError(`malformed ${what}: rootfs must be {"type": "layers", "diff_ids": [...]}`);
  }
  const diffIds = rootfs.diff_ids.map((id) => {
    try {
      return parseDigest(String(id));
    } catch (error) {
      throw new ImageFormatError(`malformed ${what}: ${(error as Error).message}`);
    }
  });
  const raw = (typeof json.config === 'object' && json.config !== null ? json.config : {}) as Record<
    string,
    unknown
  >;
  const config: ImageRunConfig = {
    ...(strings(raw.Env) ? { Env: strings(raw.Env) } : {}),
    ...(raw.Entrypoint === null || strings(raw.Entrypoint)
      ? { Entrypoint: strings(raw.Entrypoint) ?? null }
      : {}),
    ...(raw.Cmd === null || strings(raw.Cmd) ? { Cmd: strings(raw.Cmd) ?? null } : {}),
    ...(typeof raw.WorkingDir === 'string' ? { WorkingDir: raw.WorkingDir } : {}),
    ...(typeof raw.User === 'string' ? { User: raw.User } : {}),
    ...(typeof raw.ExposedPorts === 'object' && raw.ExposedPorts !== null
      ? { ExposedPorts: raw.ExposedPorts as Record<string, object> }
      : {}),
    ...(typeof raw.Labels === 'object' ? { Labels: raw.Labels as Record<string, string> | null } : {}),
    ...(typeof raw.StopSignal === 'string' ? { StopSignal: raw.StopSignal } : {}),
    ...(typeof raw.Volumes === 'object' && raw.Volumes !== null && !Array.isArray(raw.Volumes)
      ? { Volumes: raw.Volumes as Record<string, object> }
      : {}),
    ...(typeof raw.Healthcheck === 'object' && raw.Healthcheck !== null
      ? { Healthcheck: healthcheck(raw.Healthcheck as Record<string, unknown>) }
      : {}),
  };
  return {
    architecture: typeof json.architecture === 'string' ? json.architecture : 'unknown',
    os: typeof json.os === 'string' ? json.os : 'unknown',
    ...(typeof json.variant === 'string' ? { variant: json.variant } : {}),
    ...(typeof json.created === 'string' ? { created: json.created } : {}),
    config,
    diffIds,
  };
}
