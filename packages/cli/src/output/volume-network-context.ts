import { type Volume } from '@koker/core';
import { type ListedNetwork } from '../networks/predefined-networks.js';
import { goTime, labelsText } from './container-context.js';

/** Hides the labels map from `{{json .}}` while `{{.Label "key"}}` reads it. */
function keepLabels(target: object, labels: Readonly<Record<string, string>>): void {
  Object.defineProperty(target, 'labels', { value: labels, enumerable: false });
}

function labelOf(target: object, name: string): string {
  return (target as { labels: Record<string, string> }).labels[name] ?? '';
}

/**
 * One volume as `volume ls --format` templates see it: Docker's volume context (the cluster
 * fields N/A, as Docker shows them for a local volume), `{{.Label "key"}}`.
 */
export class VolumeContext {
  readonly Availability = 'N/A';
  readonly Driver: string;
  readonly Group = 'N/A';
  readonly Labels: string;
  readonly Links = 'N/A';
  readonly Mountpoint: string;
  readonly Name: string;
  readonly Scope: string;
  readonly Size = 'N/A';
  readonly Status = 'N/A';

  constructor(volume: Volume) {
    this.Driver = volume.driver;
    this.Labels = labelsText(volume.labels);
    this.Mountpoint = volume.mountpoint;
    this.Name = volume.name;
    this.Scope = volume.scope;
    keepLabels(this, volume.labels);
  }

  Label(name: string): string {
    return labelOf(this, name);
  }
}

export const VOLUME_HEADERS = {
  Availability: 'AVAILABILITY',
  Driver: 'DRIVER',
  Group: 'GROUP',
  Labels: 'LABELS',
  Label: () => 'LABEL',
  Links: 'LINKS',
  Mountpoint: 'MOUNTPOINT',
  Name: 'VOLUME NAME',
  Scope: 'SCOPE',
  Size: 'SIZE',
  Status: 'STATUS',
} as const;

export const DEFAULT_VOLUME_FORMAT = 'table {{.Driver}}\t{{.Name}}';

/** One network as `network ls --format` templates see it: Docker's network context. */
export class NetworkContext {
  readonly CreatedAt: string;
  readonly Driver: string;
  readonly ID: string;
  readonly IPv6 = 'false';
  readonly Internal: string;
  readonly Labels: string;
  readonly Name: string;
  readonly Scope = 'local';

  constructor(network: ListedNetwork, truncate: boolean) {
    this.CreatedAt = goTime(network.created);
    this.Driver = network.driver;
    this.ID = truncate ? network.id.slice(0, 12) : network.id;
    this.Internal = String(network.internal);
    this.Labels = labelsText(network.labels);
    this.Name = network.name;
    keepLabels(this, network.labels);
  }

  Label(name: string): string {
    return labelOf(this, name);
  }
}

export const NETWORK_HEADERS = {
  CreatedAt: 'CREATED AT',
  Driver: 'DRIVER',
  ID: 'NETWORK ID',
  IPv6: 'IPV6',
  Internal: 'INTERNAL',
  Labels: 'LABELS',
  Label: () => 'LABEL',
  Name: 'NAME',
  Scope: 'SCOPE',
} as const;

export const DEFAULT_NETWORK_FORMAT = 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';
