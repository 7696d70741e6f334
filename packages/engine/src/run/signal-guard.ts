export type SignalName = 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'SIGQUIT' | 'SIGUSR1' | 'SIGUSR2';

/**
 * Decides what a signal to koker means at each moment of a run. While resources are being set
 * up, SIGINT/SIGTERM abort the setup (and so trigger teardown); once the container runs, they are
 * forwarded to it, as `docker run` does.
 */
export class SignalGuard {
  private readonly controller = new AbortController();
  private forward: ((signal: SignalName) => void) | undefined;
  private readonly handlers = new Map<SignalName, () => void>();

  constructor(
    private readonly signals: readonly SignalName[] = [
      'SIGINT',
      'SIGTERM',
      'SIGHUP',
      'SIGQUIT',
      'SIGUSR1',
      'SIGUSR2',
    ],
  ) {
    for (const signal of this.signals) {
      const handler = () => this.onSignal(signal);
      this.handlers.set(signal, handler);
      process.on(signal, handler);
    }
  }

  /** Aborted when a terminating signal arrives before the container runs. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** From now on, signals go to the container. */
  forwardTo(send: (signal: SignalName) => void): void {
    this.forward = send;
  }

  dispose(): void {
    for (const [signal, handler] of this.handlers) process.off(signal, handler);
    this.handlers.clear();
  }

  private onSignal(signal: SignalName): void {
    if (this.forward) {
      this.forward(signal);
      return;
    }
    if (signal === 'SIGINT' || signal === 'SIGTERM' || signal === 'SIGHUP' || signal === 'SIGQUIT') {
      this.controller.abort(new Error(`interrupted by ${signal}`));
    }
  }
}
