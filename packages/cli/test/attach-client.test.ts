import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConflictError } from '@koker/core';
import { connectAttach } from '../src/containers/attach-client.js';

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
});
