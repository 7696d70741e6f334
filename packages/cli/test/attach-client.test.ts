import { mkdtempSync, rmSync } from 'node:fs';
import { type Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConflictError } from '@koker/core';
import { ATTACH_SOCKET, connectAttach } from '../src/containers/attach-client.js';

describe('connectAttach', () => {
  // A stopped container's monitor and socket are gone; callers chain .then/.catch on the answer.
  it('rejects, never throws, for a directory without a monitor socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'koker-attach-client-'));
    try {
      let answer: Promise<unknown> | undefined;
      expect(() => (answer = connectAttach(dir))).not.toThrow();
      await expect(answer).rejects.toBeInstanceOf(ConflictError);
      await expect(connectAttach(join(dir, 'removed'))).rejects.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // `run` connects while its setup may still fail; the monitor it then kills resets the connection.
  it('survives a reset before anyone reads the socket, which then closes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'koker-attach-client-'));
    const accepted: Socket[] = [];
    // pauseOnConnect: the monitor's side reads nothing, so closing it with data unread resets.
    const server = createServer({ pauseOnConnect: true }, (peer) => accepted.push(peer));
    try {
      await new Promise<void>((resolve) => server.listen(join(dir, ATTACH_SOCKET), resolve));
      const socket = await connectAttach(dir);
      socket.write('unread');
      await expect.poll(() => accepted.length).toBe(1);
      const closed = new Promise<boolean>((resolve) => socket.once('close', resolve));
      accepted[0]?.destroy();
      expect(await closed).toBe(true); // closed with an error (the reset), and koker still runs
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
