import { describe, expect, it } from 'vitest';
import { startupSnapshotPath } from '../src/startup-snapshot.js';

describe('startupSnapshotPath', () => {
  it('reads the blob of --snapshot-blob PATH and --snapshot-blob=PATH', () => {
    expect(startupSnapshotPath(['--snapshot-blob', '/k/koker.blob'])).toBe('/k/koker.blob');
    expect(startupSnapshotPath(['--no-warnings', '--snapshot-blob=/k/koker.blob'])).toBe('/k/koker.blob');
  });

  it('is undefined when Node loaded the bundle', () => {
    expect(startupSnapshotPath([])).toBeUndefined();
    expect(startupSnapshotPath(['--max-old-space-size=256'])).toBeUndefined();
  });
});
