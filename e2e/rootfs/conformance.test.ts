import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { DEFAULT_CONFIG, type StorageDriver } from '@koker/core';
import { describeStorageDriver, type StorageSubject } from '@koker/core/testing';
import { KoffiSyscalls } from '@koker/host';
import { CopyStorageDriver } from '@koker/fs-overlay';
import { overlayDriver, tempRoot, testLogger } from './helpers.js';

// The StorageDriver contract, for real (as root): layers applied by the kernel's own rules
// (whiteouts as 0/0 devices, opaque xattrs), roots mounted or handed to the launcher.

function subject(make: (root: string) => StorageDriver): StorageSubject {
  const { root, remove } = tempRoot();
  return {
    driver: make(root),
    layersDir: join(root, 'layers'),
    // Mounts under the root: what release must unmount.
    leftovers: () =>
      readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .map((line) => line.split(' ')[4] ?? '')
        .filter((point) => point.startsWith(root)),
    dispose: remove,
  };
}

describeStorageDriver(
  { describe, it },
  {
    name: 'overlay, mounted by the launcher (as koker run)',
    create: () => subject((root) => overlayDriver(root)),
  },
);

describeStorageDriver(
  { describe, it },
  {
    name: 'overlay, mounted on the host',
    create: () => subject((root) => overlayDriver(root)),
    prepareOptions: { readOnly: false },
  },
);

describeStorageDriver(
  { describe, it },
  {
    name: 'copy',
    create: () =>
      subject(
        (root) =>
          new CopyStorageDriver({
            config: { ...DEFAULT_CONFIG, root, runRoot: join(root, 'run') },
            log: testLogger(),
            syscalls: new KoffiSyscalls(),
          }),
      ),
  },
);
