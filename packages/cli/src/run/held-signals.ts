/**
 * The signals koker takes while it starts an attached container, held until the attach session
 * listens and then replayed to it: a SIGTERM that arrives once the container runs but before the
 * session's own handlers are in place reaches the container (or is ignored with
 * --sig-proxy=false) instead of ending koker and leaving the container behind.
 */
export class HeldSignals {
  private readonly pending: NodeJS.Signals[] = [];
  private readonly hold = (signal: NodeJS.Signals): void => {
    this.pending.push(signal);
  };

  constructor(private readonly signals: readonly NodeJS.Signals[]) {
    for (const signal of signals) process.on(signal, this.hold);
  }

  /** Stops holding, and sends what came to this process again: the session's handlers take it now. */
  replay(): void {
    this.drop();
    for (const signal of this.pending.splice(0)) process.kill(process.pid, signal);
  }

  /** Stops holding and forgets what came (the run failed before anything was attached). */
  drop(): void {
    for (const signal of this.signals) process.off(signal, this.hold);
  }
}
