import {
  type ContainerId,
  type HeldLock,
  type Logger,
  type NewContainerRecord,
  type StateStore,
  exitCodeOf,
} from '@koker/core';

/** How a run ended: the container's exit, or the error that stopped the run. */
export type RunEnding =
  { readonly exitCode: number; readonly oomKilled: boolean } | { readonly failure: unknown };

/**
 * A run's hold on its container's record. The container lock keeps other koker
 * commands off while the run sets up and tears down; while the process runs, the keeper does
 * instead (`ps` sees it alive, `stop` and `rm -f` may take the lock). The end is recorded once.
 */
export class RunRecord {
  private keeper: HeldLock | undefined;
  private ended = false;
  private kept = false;

  constructor(
    private readonly state: StateStore,
    readonly id: ContainerId,
    private lock: HeldLock | undefined,
    private readonly log: Logger,
  ) {}

  static async create(state: StateStore, record: NewContainerRecord, log: Logger) {
    const created = await state.createLocked(record);
    return { record: new RunRecord(state, record.id, created.lock, log), name: created.record.name };
  }

  async holdKeeper(): Promise<void> {
    this.keeper = await this.state.holdKeeper(this.id);
  }

  /** The record says it runs: the keeper guards the container from now on. */
  running(): void {
    this.lock?.release();
    this.lock = undefined;
  }

  /** Handed to the container's monitor, which records its end and cleans up after it. */
  handedOver(): void {
    this.ended = true;
    this.running();
  }

  /** `koker create`: the record stays as it is (`created`) for a later `start`; the lock goes. */
  awaitingStart(): void {
    this.kept = true;
    this.handedOver();
  }

  /**
   * It ran. Its end is recorded while the keeper is still held (so it never looks crashed), then
   * the keeper goes before the container lock is taken for the teardown: `koker rm -f` holds that
   * lock while it waits for the keeper.
   */
  async ran(ending: RunEnding): Promise<void> {
    await this.end(ending);
    this.keeper?.release();
    this.keeper = undefined;
    this.lock = await this.state.lockContainer(this.id).catch(() => undefined);
  }

  /**
   * Last of the teardown: the end recorded (if not yet), the record removed for --rm (not one
   * left for `start`), the locks let go. Says whether the record was removed.
   */
  async close(ending: RunEnding, remove: boolean): Promise<boolean> {
    await this.end(ending);
    let removed = false;
    if (remove && !this.kept) {
      removed = await this.state.remove(this.id).then(
        () => true,
        (error: unknown) => {
          this.log.warn({ err: error }, 'Could not remove the container record');
          return false;
        },
      );
    }
    this.keeper?.release();
    this.lock?.release();
    return removed;
  }

  /** The record says how the container ended (or why it never ran). */
  private async end(ending: RunEnding): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.state
      .update(this.id, (record) => {
        const { pid: _pid, ...rest } = record;
        const finished = new Date().toISOString();
        if (!('failure' in ending)) {
          return {
            ...rest,
            status: 'exited',
            exitCode: ending.exitCode,
            finished,
            oomKilled: ending.oomKilled,
          };
        }
        const { failure } = ending;
        return {
          ...rest,
          status: 'exited',
          exitCode: exitCodeOf(failure),
          finished,
          oomKilled: false,
          ...(failure === undefined
            ? {}
            : { reason: failure instanceof Error ? failure.message : String(failure) }),
        };
      })
      .catch((error: unknown) => this.log.warn({ err: error }, 'Could not record the end of the container'));
  }
}
