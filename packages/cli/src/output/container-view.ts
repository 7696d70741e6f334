import { shortContainerId, type ContainerRecord, type PortMapping } from '@koker/core';
import { type ObservedContainer } from '@koker/engine';
import { humanDuration } from './human-duration.js';

/** A container as `ls` and `inspect` show it: its record and what was observed of it now. */
export interface ContainerView {
  readonly record: ContainerRecord;
  readonly seen: ObservedContainer;
}

/** `Up 5 seconds`, `Exited (0) 2 minutes ago`, `Created`; a crash's reason in parentheses. */
export function statusText({ record, seen }: ContainerView, now: number): string {
  switch (seen.status) {
    case 'created':
      return 'Created';
    case 'running':
      return `Up ${humanDuration(now - Date.parse(record.started ?? record.created))}${healthText(seen)}`;
    case 'exited': {
      const finished = seen.finished ?? record.finished;
      const ago = finished ? ` ${humanDuration(now - Date.parse(finished))} ago` : '';
      const reason = seen.reason ? ` (${seen.reason})` : '';
      // Docker's word for a container waiting out its restart policy's back-off.
      if (record.restarting) return `Restarting (${seen.exitCode ?? 0})${ago}`;
      return `Exited (${seen.exitCode ?? 0})${ago}${reason}`;
    }
  }
}

/** Docker's suffix: ` (healthy)`, ` (unhealthy)`, ` (health: starting)`. */
function healthText(seen: ObservedContainer): string {
  const status = seen.health?.Status;
  if (!status) return '';
  return status === 'starting' ? ' (health: starting)' : ` (${status})`;
}

export function createdText(record: ContainerRecord, now: number): string {
  return `${humanDuration(now - Date.parse(record.created))} ago`;
}

/** Entrypoint and Cmd as one line, quoted; Docker cuts it at 20 characters unless --no-trunc. */
export function commandText(record: ContainerRecord, truncate: boolean): string {
  const command = [...record.entrypoint, ...record.command].join(' ');
  const cut = truncate && command.length > 20 ? `${command.slice(0, 19)}…` : command;
  return `"${cut}"`;
}

/** `0.0.0.0:8080->80/tcp, 127.0.0.1:53->53/udp` */
export function portsText(ports: readonly PortMapping[]): string {
  return ports.map((p) => `${p.hostIp}:${p.hostPort}->${p.containerPort}/${p.protocol}`).join(', ');
}

export function idText(record: ContainerRecord, truncate: boolean): string {
  return truncate ? shortContainerId(record.id) : record.id;
}
