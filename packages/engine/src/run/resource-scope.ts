import { type Logger, traced } from '@koker/core';

export interface ReleaseFailure {
  readonly name: string;
  readonly error: unknown;
}

interface Held {
  readonly name: string;
  readonly release: () => Promise<void>;
}

/**
 * Resources acquired in order and released in reverse order, always: a failed release is logged
 * and the others still run. `close` is idempotent, so a signal handler and a `finally` may both
 * call it.
 */
export class ResourceScope {
  private readonly held: Held[] = [];
  private closing: Promise<ReleaseFailure[]> | undefined;

  constructor(private readonly log?: Logger) {}

  /** Runs `acquire`; if it succeeds, remembers how to undo it. */
  async acquire<T>(
    name: string,
    acquire: () => Promise<T>,
    release: (value: T) => Promise<void>,
  ): Promise<T> {
    if (this.closing) throw new Error(`cannot acquire ${name}: the scope is closing`);
    const value = await traced(name, acquire);
    this.held.push({ name, release: () => release(value) });
    return value;
  }

  /** Registers an undo step for something already done. */
  defer(name: string, release: () => Promise<void>): void {
    this.held.push({ name, release });
  }

  /** Forgets what it holds, unreleased: another process (the container's monitor) owns it now. */
  handOver(): void {
    this.held.length = 0;
  }

  get names(): string[] {
    return this.held.map((h) => h.name);
  }

  close(): Promise<ReleaseFailure[]> {
    this.closing ??= this.releaseAll();
    return this.closing;
  }

  private async releaseAll(): Promise<ReleaseFailure[]> {
    const failures: ReleaseFailure[] = [];
    while (this.held.length > 0) {
      const { name, release } = this.held.pop() as Held;
      try {
        this.log?.debug({ resource: name }, 'Release resource');
        await traced(`release ${name}`, release);
      } catch (error) {
        this.log?.error({ resource: name, err: error }, 'Could not release resource');
        failures.push({ name, error });
      }
    }
    return failures;
  }
}
