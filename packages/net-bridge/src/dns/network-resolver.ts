import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Logger } from '@koker/core';
import { isFlockHeld, writeFileAtomic } from '@koker/host';
import { parseIpv4 } from '../ipam/ipv4.js';
import { type LeaseTable } from '../ipam/lease-table.js';
import { resolverRecordsText } from './resolver-records.js';

export interface NetworkResolverOptions {
  /** The host's directory of bridge tables; the resolver's files are beside it. */
  readonly bridgesDir: string;
  readonly log: Logger;
  /** koker-dns, or undefined when it is not built (names then resolve through no server). */
  readonly binary: () => string | undefined;
  /** Where other names are forwarded (the host's resolvers). */
  readonly upstreams: () => string[];
  /** How long `ready` waits for the resolver to listen on a network's gateway. */
  readonly readyTimeoutMs?: number;
}

/**
 * The name resolver of user networks (koker-dns, native/src/dns; ADR 0016): one process for the
 * host, serving each network with named containers on its gateway's port 53. This side writes
 * each network's records (`<network dir>/dns/<bridge>`, under the bridge's lock, whenever its
 * lease table changes), starts the resolver when none runs (it holds `dns.lock`, an flock), and
 * waits until it listens. The resolver exits by itself once no records file is left.
 */
export class NetworkResolver {
  readonly recordsDir: string;
  readonly lockPath: string;
  private readonly logPath: string;

  constructor(private readonly options: NetworkResolverOptions) {
    const base = dirname(options.bridgesDir);
    this.recordsDir = join(base, 'dns');
    this.lockPath = join(base, 'dns.lock');
    this.logPath = join(base, 'dns.log');
  }

  recordsPath(bridge: string): string {
    return join(this.recordsDir, bridge);
  }

  /**
   * The network's records from its table: written (and the resolver started) while a container
   * on it has a name, removed once none has. The caller holds the bridge's lock.
   */
  async publish(bridge: string, table: LeaseTable): Promise<void> {
    const text = resolverRecordsText(table, this.options.upstreams());
    if (text === undefined) {
      await this.withdraw(bridge);
      return;
    }
    await mkdir(this.recordsDir, { recursive: true, mode: 0o755 });
    await writeFileAtomic(this.recordsPath(bridge), text, { durable: false });
    this.options.log.debug({ bridge, file: this.recordsPath(bridge) }, 'Write the names of the network');
    this.start();
  }

  /** No container of the network has a name any more (or the network is removed). */
  async withdraw(bridge: string): Promise<void> {
    await rm(this.recordsPath(bridge), { force: true });
  }

  /** Starts koker-dns unless one runs; a second one started at the same time exits at once. */
  private start(): void {
    if (isFlockHeld(this.lockPath)) return;
    const binary = this.options.binary();
    if (!binary) {
      this.options.log.warn('koker-dns is not built: names on user networks do not resolve');
      return;
    }
    const out = openSync(this.logPath, 'a', 0o600);
    try {
      this.options.log.debug({ binary, records: this.recordsDir }, 'Start the name resolver');
      const child = spawn(binary, [this.recordsDir, this.lockPath], {
        detached: true,
        stdio: ['ignore', out, out],
      });
      child.on('error', (error) => this.options.log.warn({ err: error }, 'Could not start koker-dns'));
      child.unref();
    } finally {
      closeSync(out);
    }
  }

  /**
   * Whether the resolver listens on `gateway`:53 (UDP), waiting for it up to the timeout: a
   * container's first query must find it. Read from /proc/net/udp (the host's namespace).
   */
  async ready(gateway: string): Promise<boolean> {
    // Without the binary nothing will listen: no wait (start() said so).
    if (!this.options.binary()) return false;
    const bytes = parseIpv4(gateway);
    // /proc/net/udp prints the address as the host-order integer of its network-order bytes.
    const hex = [bytes & 0xff, (bytes >>> 8) & 0xff, (bytes >>> 16) & 0xff, bytes >>> 24]
      .map((b) => b.toString(16).padStart(2, '0'))
      .join('')
      .toUpperCase();
    const wanted = ` ${hex}:0035 `;
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 3000);
    for (;;) {
      if (readFileSync('/proc/net/udp', 'utf8').includes(wanted)) return true;
      if (Date.now() >= deadline) return false;
      await sleep(2);
    }
  }
}
