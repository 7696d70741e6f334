/**
 * One layer extracts at a time within a pull: each extraction holds a decompressor, a tar parser
 * and their buffers (most of a pull's memory, bench/memory), while a layer that only downloads
 * to its blob file holds a socket's chunk or two. Layers whose turn has not come spool to disk
 * and extract from the file when it comes; waiters are served in arrival order.
 */
export class ExtractionTurn {
  private held = false;
  private readonly waiting: (() => void)[] = [];

  /** Takes the turn if nobody holds it; never waits. */
  takeIfFree(): boolean {
    if (this.held) return false;
    this.held = true;
    return true;
  }

  /** Waits for the turn (handed over directly by the holder's release). */
  take(): Promise<void> {
    if (this.takeIfFree()) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.held = false;
  }
}
