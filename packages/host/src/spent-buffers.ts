import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Bytes of spent buffers between two young-generation collections. Streams (a socket's reads,
 * gunzip's output, a file read stream) allocate a new buffer per chunk; V8 frees them only at a
 * collection, and it starts one for their memory only after ~64 MB more of it were allocated
 * (its external-memory limit), so a pull or push of a large image carried ~50 MB of dead
 * buffers. A scavenge is ~1 ms when nearly everything in the young generation is dead.
 */
const BUDGET = 4 * 1024 * 1024;

type Collect = (options: { type: 'minor' | 'major'; execution: 'sync' | 'async' }) => void;

let collect: Collect | null | undefined;
let spent = 0;

/** V8's `gc()`, exposed for this process once (`--expose-gc` set at run time, taken from a new context). */
function collector(): Collect | null {
  if (collect === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      // Each forced scavenge counts what survived it towards growing the young generation (up to
      // 16 MiB twice over on Node 20); here what survives is the few buffers in flight, and a
      // larger young generation would only hold more garbage between collections.
      setFlagsFromString('--semi-space-growth-factor=1');
      collect = runInNewContext('gc') as Collect;
    } catch {
      collect = null;
    }
  }
  return collect;
}

/**
 * Notes that a stream is done with `bytes` of buffers; each time BUDGET of them add up, a
 * young-generation collection frees them, so a large transfer's memory stays bounded by what is
 * in flight instead of by V8's external-memory limit.
 */
export function spentBuffers(bytes: number): void {
  spent += bytes;
  if (spent < BUDGET) return;
  spent = 0;
  collector()?.({ type: 'minor', execution: 'sync' });
}
