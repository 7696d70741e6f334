import {
  type ContainerRecord,
  type ContainerStatus,
  type MountRecord,
  type NetworkMode,
  type PortMapping,
  type ContainerSpec,
  parseContainerId,
  type ContainerId,
  parseContainerName,
  type ResourceLimits,
  type RestartPolicy,
} from '@koker/core';

/** The on-disk format's version: bumped when a field changes meaning. */
export const RECORD_SCHEMA_VERSION = 1;

/** Why a record file does not parse; the message names the field. */
export class RecordFormatError extends Error {}

type Json = Record<string, unknown>;

function object(value: unknown, field: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new RecordFormatError(`${field}: expected an object`);
  return value as Json;
}

function string(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new RecordFormatError(`${field}: expected a string`);
  return value;
}

function optionalString(value: unknown, field: string): string | undefined {
  return value === undefined ? undefined : string(value, field);
}

function integer(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw new RecordFormatError(`${field}: expected an integer`);
  return value;
}

function optionalInteger(value: unknown, field: string): number | undefined {
  return value === undefined ? undefined : integer(value, field);
}

function optionalBoolean(value: unknown, field: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new RecordFormatError(`${field}: expected a boolean`);
  return value;
}

function strings(value: unknown, field: string): string[] {
  if (!Array.isArray(value)) throw new RecordFormatError(`${field}: expected a list of strings`);
  return value.map((item, i) => string(item, `${field}[${i}]`));
}

function time(value: unknown, field: string): string {
  const text = string(value, field);
  if (Number.isNaN(Date.parse(text))) throw new RecordFormatError(`${field}: not a time: ${text}`);
  return text;
}

function optionalTime(value: unknown, field: string): string | undefined {
  return value === undefined ? undefined : time(value, field);
}

function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value))
    throw new RecordFormatError(`${field}: expected one of ${allowed.join(', ')}`);
  return value as T;
}

function ports(value: unknown, field: string): PortMapping[] {
  if (!Array.isArray(value)) throw new RecordFormatError(`${field}: expected a list`);
  return value.map((item, i) => {
    const port = object(item, `${field}[${i}]`);
    return {
      hostIp: string(port.hostIp, `${field}[${i}].hostIp`),
      hostPort: integer(port.hostPort, `${field}[${i}].hostPort`),
      containerPort: integer(port.containerPort, `${field}[${i}].containerPort`),
      protocol: oneOf(port.protocol, `${field}[${i}].protocol`, ['tcp', 'udp'] as const),
    };
  });
}

function mounts(value: unknown, field: string): MountRecord[] {
  if (!Array.isArray(value)) throw new RecordFormatError(`${field}: expected a list`);
  return value.map((item, i): MountRecord => {
    const mount = object(item, `${field}[${i}]`);
    return {
      type: oneOf(mount.type, `${field}[${i}].type`, ['bind', 'volume', 'tmpfs'] as const),
      source: string(mount.source, `${field}[${i}].source`),
      destination: string(mount.destination, `${field}[${i}].destination`),
      readOnly: optionalBoolean(mount.readOnly, `${field}[${i}].readOnly`) ?? false,
      name: optionalString(mount.name, `${field}[${i}].name`),
      driver: optionalString(mount.driver, `${field}[${i}].driver`),
      propagation: optionalString(mount.propagation, `${field}[${i}].propagation`),
      mode: optionalString(mount.mode, `${field}[${i}].mode`),
    };
  });
}

function optionalLabels(value: unknown, field: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  const raw = object(value, field);
  for (const [key, item] of Object.entries(raw)) string(item, `${field}.${key}`);
  return raw as Record<string, string>;
}

function optionalRestartPolicy(value: unknown, field: string): RestartPolicy | undefined {
  if (value === undefined) return undefined;
  const raw = object(value, field);
  return {
    name: oneOf(raw.name, `${field}.name`, ['no', 'on-failure', 'always', 'unless-stopped'] as const),
    maximumRetryCount: integer(raw.maximumRetryCount, `${field}.maximumRetryCount`),
  };
}

function limits(value: unknown): ResourceLimits {
  const raw = object(value, 'limits');
  for (const [key, item] of Object.entries(raw)) {
    const ok =
      (typeof item === 'number' && Number.isFinite(item)) ||
      item === 'unlimited' ||
      ((key === 'cpusetCpus' || key === 'cgroupParent') && typeof item === 'string');
    if (!ok) throw new RecordFormatError(`limits.${key}: unexpected value`);
  }
  // The values were parsed into ByteSize/NanoCpus when the container was created.
  return raw as ResourceLimits;
}

/**
 * Parses a record file into a record that cannot be wrong: every field checked, the ID equal to
 * the directory it was found in (so a record copied elsewhere is not trusted).
 */
export function decodeContainerRecord(text: string, expectedId: ContainerId): ContainerRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // One line: the reason is shown in listings.
    throw new RecordFormatError(`not JSON: ${(error as Error).message.replace(/\s+/g, ' ')}`);
  }
  const raw = object(parsed, 'record');
  if (raw.schemaVersion !== RECORD_SCHEMA_VERSION)
    throw new RecordFormatError(
      `schemaVersion: expected ${RECORD_SCHEMA_VERSION}, found ${String(raw.schemaVersion)}`,
    );
  let id: ContainerId;
  try {
    id = parseContainerId(string(raw.id, 'id'));
  } catch (error) {
    throw new RecordFormatError(`id: ${(error as Error).message}`);
  }
  if (id !== expectedId) throw new RecordFormatError(`id: ${id} does not match its directory ${expectedId}`);
  let name;
  try {
    name = parseContainerName(string(raw.name, 'name'));
  } catch (error) {
    throw new RecordFormatError(`name: ${(error as Error).message}`);
  }
  const image = object(raw.image, 'image');
  const network = object(raw.network, 'network');
  const status: ContainerStatus = oneOf(raw.status, 'status', ['created', 'running', 'exited'] as const);
  const record: ContainerRecord = {
    id,
    name,
    image: { reference: string(image.reference, 'image.reference'), id: string(image.id, 'image.id') },
    entrypoint: strings(raw.entrypoint, 'entrypoint'),
    command: strings(raw.command, 'command'),
    env: strings(raw.env, 'env'),
    hostname: string(raw.hostname, 'hostname'),
    workingDir: optionalString(raw.workingDir, 'workingDir'),
    user: optionalString(raw.user, 'user'),
    tty: optionalBoolean(raw.tty, 'tty'),
    interactive: optionalBoolean(raw.interactive, 'interactive'),
    created: time(raw.created, 'created'),
    started: optionalTime(raw.started, 'started'),
    finished: optionalTime(raw.finished, 'finished'),
    status,
    pid: optionalInteger(raw.pid, 'pid'),
    monitorPid: optionalInteger(raw.monitorPid, 'monitorPid'),
    exitCode: optionalInteger(raw.exitCode, 'exitCode'),
    oomKilled: optionalBoolean(raw.oomKilled, 'oomKilled'),
    reason: optionalString(raw.reason, 'reason'),
    network: {
      mode: oneOf<NetworkMode>(network.mode, 'network.mode', ['bridge', 'none', 'host', 'container']),
      ipAddress: optionalString(network.ipAddress, 'network.ipAddress'),
      gateway: optionalString(network.gateway, 'network.gateway'),
      ports: ports(network.ports, 'network.ports'),
    },
    limits: limits(raw.limits),
    mounts: raw.mounts === undefined ? undefined : mounts(raw.mounts, 'mounts'),
    autoRemove: optionalBoolean(raw.autoRemove, 'autoRemove') ?? false,
    detached: optionalBoolean(raw.detached, 'detached'),
    stopSignal: optionalString(raw.stopSignal, 'stopSignal'),
    stopTimeout: optionalInteger(raw.stopTimeout, 'stopTimeout'),
    labels: optionalLabels(raw.labels, 'labels'),
    restartPolicy: optionalRestartPolicy(raw.restartPolicy, 'restartPolicy'),
    restartCount: optionalInteger(raw.restartCount, 'restartCount'),
    restartDelayMs: optionalInteger(raw.restartDelayMs, 'restartDelayMs'),
    restarting: optionalBoolean(raw.restarting, 'restarting'),
    manuallyStopped: optionalBoolean(raw.manuallyStopped, 'manuallyStopped'),
    awaitingStart: optionalBoolean(raw.awaitingStart, 'awaitingStart'),
    spec: raw.spec === undefined ? undefined : (object(raw.spec, 'spec') as unknown as ContainerSpec),
  };
  return dropUndefined(record);
}

export function encodeContainerRecord(record: ContainerRecord): string {
  return `${JSON.stringify({ schemaVersion: RECORD_SCHEMA_VERSION, ...record }, null, 2)}\n`;
}

function dropUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return value;
}
