import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { DEFAULT_CONFIG } from '@koker/core';
import { describeVolumeDriver, recordingLogger } from '@koker/core/testing';
import { LocalVolumeDriver } from '../src/driver.js';

// The VolumeDriver contract on the local driver, over a fresh root per test (no root needed).
describeVolumeDriver(
  { describe, it },
  {
    name: 'local',
    create: () => {
      const root = mkdtempSync(join(tmpdir(), 'koker-volume-local-'));
      return {
        driver: new LocalVolumeDriver({ config: { ...DEFAULT_CONFIG, root }, log: recordingLogger().log }),
        // Nothing but volume directories may be left, and none half made or half removed.
        leftovers: () => {
          try {
            return readdirSync(join(root, 'volumes'));
          } catch {
            return [];
          }
        },
        dispose: () => rmSync(root, { recursive: true, force: true }),
      };
    },
  },
);
