import { chmodSync, chownSync, lstatSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { connect, type Server } from 'node:net';
import { dirname } from 'node:path';
import { ConflictError, type Logger } from '@koker/core';

/** The GID of the `koker` group in /etc/group, if there is one (the socket's group, as `docker`'s). */
export function kokerGroupId(groupFile = '/etc/group'): number | undefined {
  let text: string;
  try {
    text = readFileSync(groupFile, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === 'koker' && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  return undefined;
}

/** True when something answers on the socket: another service is running there. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/**
 * Listens on a unix socket: a socket file left by a service that died is replaced, one in use is
 * not; the file is root's, mode 0660, group `koker` when the group exists, as dockerd's.
 */
export async function listenUnix(server: Server, path: string, log: Logger): Promise<void> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const existing = (() => {
    try {
      return lstatSync(path);
    } catch {
      return undefined;
    }
  })();
  if (existing) {
    if (!existing.isSocket())
      throw new ConflictError(`${path} exists and is not a socket`, {
        hint: 'remove it, or give another --socket',
      });
    if (await answers(path))
      throw new ConflictError(`a service is listening on ${path} already`, {
        hint: 'stop it, or give another --socket',
      });
    unlinkSync(path);
  }
  // Made with no access for anyone, then opened to root and the group.
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(umask);
  }
  const gid = kokerGroupId();
  chownSync(path, 0, gid ?? 0);
  chmodSync(path, 0o660);
  log.debug({ path, mode: '0660', group: gid ?? 0 }, 'Listen on socket');
}

/** systemd socket activation: the listening socket passed as fd 3 (LISTEN_FDS, LISTEN_PID). */
export function activatedSocketFd(env: NodeJS.ProcessEnv = process.env): number | undefined {
  if (env.LISTEN_PID !== String(process.pid)) return undefined;
  const count = Number(env.LISTEN_FDS ?? 0);
  return count >= 1 ? 3 : undefined;
}

/** Listens on a socket systemd opened for us. */
export function listenFd(server: Server, fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ fd }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
