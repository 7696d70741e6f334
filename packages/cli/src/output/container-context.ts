import { type ContainerRecord } from '@koker/core';
import {
  commandText,
  createdText,
  idText,
  portsText,
  statusText,
  type ContainerView,
} from './container-view.js';

/** Labels of a record (run's `--label`, over the image's). */
export function labelsOf(record: ContainerRecord): Readonly<Record<string, string>> {
  return record.labels ?? {};
}

/** `a=1,b=2`: Docker's Labels column (sorted, comma separated). */
export function labelsText(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

/**
 * One container as `ps --format` templates see it: Docker's ContainerContext fields (a struct: a
 * field it does not have is an error), `{{.Label "key"}}`, and `{{json .}}` with sorted keys.
 */
export class ContainerContext {
  readonly Command: string;
  readonly CreatedAt: string;
  readonly ExitCode?: number;
  readonly ID: string;
  readonly Image: string;
  readonly Labels: string;
  readonly LocalVolumes: string;
  readonly Mounts: string;
  readonly Names: string;
  readonly Networks: string;
  readonly Ports: string;
  readonly Reason?: string;
  readonly RunningFor: string;
  readonly Size: string;
  readonly State: string;
  readonly Status: string;

  constructor(view: ContainerView, now: number, truncate: boolean) {
    const { record, seen } = view;
    this.Command = commandText(record, truncate);
    // Go's time.Time.String() as Docker prints it: `2024-05-01 10:00:00 +0000 UTC`.
    this.CreatedAt = goTime(record.created);
    if (seen.status === 'exited') this.ExitCode = seen.exitCode ?? 0;
    this.ID = idText(record, truncate);
    this.Image = record.image.reference;
    this.Labels = labelsText(labelsOf(record));
    const mounts = record.mounts ?? [];
    this.LocalVolumes = String(mounts.filter((m) => m.type === 'volume').length);
    this.Mounts = mounts.map((m) => (m.type === 'volume' ? m.source : m.destination)).join(',');
    this.Names = record.name;
    this.Networks = networksOf(record).join(',');
    this.Ports = portsText(record.network.ports);
    if (seen.reason) this.Reason = seen.reason;
    this.RunningFor = createdText(record, now);
    this.Size = 'N/A';
    const paused = (seen as { paused?: boolean }).paused === true;
    this.State = paused ? 'paused' : seen.status;
    this.Status = paused ? `${statusText(view, now)} (Paused)` : statusText(view, now);
    // The method is not an own property: `{{json .}}` shows the fields only.
    Object.defineProperty(this, 'labels', { value: labelsOf(record), enumerable: false });
  }

  Label(name: string): string {
    return (this as unknown as { labels: Record<string, string> }).labels[name] ?? '';
  }
}

/** The networks a record is attached to: user networks when it has them, else its mode. */
export function networksOf(record: ContainerRecord): string[] {
  const networks = (record.network as { networks?: Record<string, unknown> | readonly string[] }).networks;
  if (Array.isArray(networks)) return [...(networks as string[])];
  if (networks && typeof networks === 'object') return Object.keys(networks);
  return [record.network.mode === 'bridge' ? 'bridge' : record.network.mode];
}

export const CONTAINER_HEADERS = {
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  ExitCode: 'EXIT CODE',
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Labels: 'LABELS',
  Label: () => 'LABEL',
  LocalVolumes: 'LOCAL VOLUMES',
  Mounts: 'MOUNTS',
  Names: 'NAMES',
  Networks: 'NETWORKS',
  Ports: 'PORTS',
  Reason: 'REASON',
  RunningFor: 'CREATED',
  Size: 'SIZE',
  State: 'STATE',
  Status: 'STATUS',
} as const;

export const DEFAULT_PS_FORMAT =
  'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

/** Go's time.Time.String(): `2006-01-02 15:04:05.999999999 -0700 MST`, in UTC. */
export function goTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const text = date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.?0*Z$/, '');
  return `${text} +0000 UTC`;
}
