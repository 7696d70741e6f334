import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { JsonProgress } from '../src/api/json-progress.js';
import { TerminalProgress } from '../src/output/pull-progress.js';

const read = (out: PassThrough) => String(out.read() ?? '');

describe('pull progress of a layer that waits for its turn to extract', () => {
  it('shows "Download complete" between the download and the extraction, as Docker does', () => {
    const out = new PassThrough();
    const terminal = new TerminalProgress(out as unknown as NodeJS.WriteStream, 'pull');
    terminal.start('latest: Pulling from large', [{ id: 'abcdef012345', size: 1000 }]);
    terminal.update('abcdef012345', { phase: 'downloaded' });
    terminal.end();
    const shown = read(out);
    expect(shown).toContain('abcdef012345: Download complete');
    // A downloaded layer counts whole in the total.
    expect(shown).toMatch(/Total: \[=+\] 1kB\/1kB/);
  });

  it('streams the Engine API status "Download complete"', () => {
    const out = new PassThrough();
    new JsonProgress(out).update('abcdef012345', { phase: 'downloaded' });
    expect(JSON.parse(read(out))).toEqual({
      status: 'Download complete',
      progressDetail: {},
      id: 'abcdef012345',
    });
  });
});
