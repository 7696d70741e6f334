import { describe, expect, it } from 'vitest';
import { v1BlockIo, v2BlockIo } from '../src/cgroup-stats.js';

describe('BLOCK I/O from the cgroup files', () => {
  it('sums the Read and Write lines of blkio.throttle.io_service_bytes over devices', () => {
    const text = '8:0 Read 4096\n8:0 Write 512\n8:0 Sync 0\n8:16 Read 1000\n8:16 Write 0\nTotal 5608\n';
    expect(v1BlockIo(text)).toEqual({ blockReadBytes: 5096, blockWriteBytes: 512 });
    expect(v1BlockIo(undefined)).toEqual({});
  });

  it('sums rbytes and wbytes of io.stat', () => {
    const text =
      '8:0 rbytes=4096 wbytes=1024 rios=1 wios=1 dbytes=0 dios=0\n8:16 rbytes=10 wbytes=0 rios=1 wios=0\n';
    expect(v2BlockIo(text)).toEqual({ blockReadBytes: 4106, blockWriteBytes: 1024 });
  });
});
